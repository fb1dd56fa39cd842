package io.kddm.web.internal;

import java.util.Collection;
import java.util.Map;

/**
 * A JSON text written in one pass: objects, arrays, strings, numbers, booleans
 * and null. The page's documents are small and made here only, so no JSON
 * library is carried into the bundle.
 */
final class Json {
    private final StringBuilder out = new StringBuilder(1024);
    /** Whether the container just opened (no comma before its first member). */
    private boolean first = true;

    Json object() {
        separate();
        out.append('{');
        first = true;
        return this;
    }

    Json endObject() {
        out.append('}');
        first = false;
        return this;
    }

    Json array() {
        separate();
        out.append('[');
        first = true;
        return this;
    }

    Json endArray() {
        out.append(']');
        first = false;
        return this;
    }

    /** A member's name; its value follows. */
    Json key(String name) {
        separate();
        string(out, name);
        out.append(':');
        first = true; // the value needs no comma
        return this;
    }

    Json value(String s) {
        separate();
        if (s == null) {
            out.append("null");
        } else {
            string(out, s);
        }
        return this;
    }

    Json value(long n) {
        separate();
        out.append(n);
        return this;
    }

    /** A finite number (NaN and infinities are written as null: JSON has no such numbers). */
    Json value(double d) {
        separate();
        if (Double.isFinite(d)) {
            out.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d));
        } else {
            out.append("null");
        }
        return this;
    }

    Json value(boolean b) {
        separate();
        out.append(b);
        return this;
    }

    Json nullValue() {
        separate();
        out.append("null");
        return this;
    }

    Json put(String name, String s) {
        return key(name).value(s);
    }

    Json put(String name, long n) {
        return key(name).value(n);
    }

    Json put(String name, double d) {
        return key(name).value(d);
    }

    Json put(String name, boolean b) {
        return key(name).value(b);
    }

    /** An array of numbers. */
    Json put(String name, Collection<? extends Number> numbers) {
        key(name).array();
        for (Number n : numbers) {
            if (n instanceof Double || n instanceof Float) {
                value(n.doubleValue());
            } else {
                value(n.longValue());
            }
        }
        return endArray();
    }

    /** An object of strings. */
    Json put(String name, Map<String, String> strings) {
        key(name).object();
        strings.forEach(this::put);
        return endObject();
    }

    private void separate() {
        if (!first) {
            out.append(',');
        }
        first = false;
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    // Also '<', '>' and '&', so that no JSON text can close a script element it is put in.
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
