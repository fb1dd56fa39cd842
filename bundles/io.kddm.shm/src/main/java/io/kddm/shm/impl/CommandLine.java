package io.kddm.shm.impl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.kddm.shm.Caller;

/**
 * The arguments of one {@code shm:} command: positional words and
 * {@code --options}, parsed by hand so that a wrong command gets one clear line
 * and its usage, never Gogo's list of method signatures.
 */
final class CommandLine {
    private final String usage;
    private final List<String> words = new ArrayList<>();
    private final Map<String, String> options = new HashMap<>();

    /**
     * @param flags   options without a value
     * @param valued  options with a value
     */
    CommandLine(String usage, Object[] args, Set<String> flags, Set<String> valued) {
        this.usage = usage;
        for (int i = 0; i < args.length; i++) {
            String a = String.valueOf(args[i]);
            if (a.startsWith("--")) {
                if (flags.contains(a)) {
                    options.put(a, "true");
                } else if (valued.contains(a)) {
                    if (i + 1 >= args.length) {
                        throw bad(a + " needs a value");
                    }
                    options.put(a, String.valueOf(args[++i]));
                } else {
                    throw bad("unknown option " + a);
                }
            } else {
                words.add(a);
            }
        }
    }

    IllegalArgumentException bad(String why) {
        return new IllegalArgumentException(why + "; usage: " + usage);
    }

    /** Exactly {@code n} positional words, or between {@code min} and {@code max}. */
    List<String> words(int min, int max) {
        if (words.size() < min || words.size() > max) {
            throw bad(words.size() < min ? "missing arguments" : "too many arguments");
        }
        return words;
    }

    boolean flag(String name) {
        return options.containsKey(name);
    }

    String option(String name, String absent) {
        return options.getOrDefault(name, absent);
    }

    /** A number: decimal, 0x hex, or 0-prefixed octal (as C's strtol with base 0). */
    long number(String what, String text) {
        try {
            String t = text.trim();
            boolean negative = t.startsWith("-");
            String digits = negative ? t.substring(1) : t;
            long v;
            if (digits.startsWith("0x") || digits.startsWith("0X")) {
                v = Long.parseUnsignedLong(digits.substring(2), 16);
            } else if (digits.length() > 1 && digits.startsWith("0")) {
                v = Long.parseLong(digits.substring(1), 8);
            } else {
                v = Long.parseLong(digits);
            }
            return negative ? -v : v;
        } catch (NumberFormatException e) {
            throw bad(what + " '" + text + "' is not a number");
        }
    }

    int integer(String what, String text) {
        long v = number(what, text);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw bad(what + " " + text + " is out of range");
        }
        return (int) v;
    }

    /** A key: 32 bits, signed or unsigned (0xFFFFFFFF and -1 are the same key). */
    int key(String text) {
        long v = number("KEY", text);
        if (v < Integer.MIN_VALUE || v > 0xFFFF_FFFFL) {
            throw bad("KEY " + text + " is not a 32-bit key");
        }
        return (int) v;
    }

    /** {@code --as UID[:GID]}, root by default. */
    Caller caller() {
        String as = option("--as", null);
        if (as == null) {
            return Caller.ROOT;
        }
        String[] parts = as.split(":", 2);
        int uid = integer("--as UID", parts[0]);
        return new Caller(uid, parts.length == 2 ? integer("--as GID", parts[1]) : uid);
    }
}
