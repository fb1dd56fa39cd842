package io.kddm.ipc.impl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.kddm.ipc.Ipc;

/**
 * The arguments of an {@code ipc:}, {@code msg:} or {@code sem:} command,
 * parsed here rather than by Gogo so that a wrong one gives one line naming it
 * and the usage, never a coercion error or a stack trace.
 */
final class Args {
    /** A wrong argument: the message is the line shown. */
    static final class Wrong extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Wrong(String message) {
            super(message, null, false, false);
        }
    }

    final List<String> positional = new ArrayList<>();
    private final Map<String, String> options = new HashMap<>();

    /** {@code flags}: options without a value; {@code valued}: options with one. */
    Args(String[] args, Set<String> flags, Set<String> valued) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--") || (a.startsWith("-") && a.length() == 2 && Character.isLetter(a.charAt(1)))) {
                if (flags.contains(a)) {
                    options.put(a, "true");
                } else if (valued.contains(a)) {
                    if (i + 1 >= args.length) {
                        throw new Wrong(a + " needs a value");
                    }
                    options.put(a, args[++i]);
                } else {
                    throw new Wrong("unknown option " + a);
                }
            } else {
                positional.add(a);
            }
        }
    }

    Args count(int min, int max) {
        if (positional.size() < min || positional.size() > max) {
            throw new Wrong(min == max ? min + " argument" + (min == 1 ? "" : "s") + " expected, not "
                    + positional.size() : min + " to " + max + " arguments expected, not " + positional.size());
        }
        return this;
    }

    boolean has(String option) {
        return options.containsKey(option);
    }

    String option(String option, String absent) {
        return options.getOrDefault(option, absent);
    }

    String at(int i) {
        return positional.get(i);
    }

    static int integer(String what, String text) {
        try {
            return Integer.decode(text.startsWith("+") ? text.substring(1) : text);
        } catch (NumberFormatException e) {
            throw new Wrong(what + " '" + text + "' is not a number");
        }
    }

    static long number(String what, String text) {
        try {
            return Long.decode(text.startsWith("+") ? text.substring(1) : text);
        } catch (NumberFormatException e) {
            throw new Wrong(what + " '" + text + "' is not a number");
        }
    }

    /** A key: decimal, 0xHEX, or IPC_PRIVATE (also "private", 0). */
    static long key(String text) {
        if (text.equalsIgnoreCase("IPC_PRIVATE") || text.equalsIgnoreCase("private")) {
            return Ipc.IPC_PRIVATE;
        }
        long key;
        try {
            key = Long.decode(text);
        } catch (NumberFormatException e) {
            throw new Wrong("key '" + text + "' is neither a number (decimal or 0xHEX) nor IPC_PRIVATE");
        }
        if (key < 0 && key >= Integer.MIN_VALUE) {
            key &= 0xFFFF_FFFFL; // a key_t printed signed
        }
        if (key < 0 || key > 0xFFFF_FFFFL) {
            throw new Wrong("key '" + text + "' is not a 32-bit key");
        }
        return key;
    }

    /** A mode: octal, as chmod takes it. */
    static int mode(String text) {
        try {
            int m = Integer.parseInt(text, 8);
            if (m < 0 || m > 0777) {
                throw new NumberFormatException();
            }
            return m;
        } catch (NumberFormatException e) {
            throw new Wrong("mode '" + text + "' is not octal 0..777");
        }
    }

    /** --wait SECONDS (fractions allowed), or {@code absent}. */
    Duration seconds(String option, Duration absent) {
        String v = options.get(option);
        if (v == null) {
            return absent;
        }
        try {
            double s = Double.parseDouble(v);
            if (s < 0 || Double.isNaN(s)) {
                throw new NumberFormatException();
            }
            return Duration.ofNanos((long) Math.min(s * 1e9, 1e18));
        } catch (NumberFormatException e) {
            throw new Wrong(option + " '" + v + "' is not a number of seconds");
        }
    }
}
