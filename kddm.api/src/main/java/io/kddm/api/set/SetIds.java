package io.kddm.api.set;

/** Set ids: the creating node in the high 8 bits, a number in the low 56. */
public final class SetIds {
    private static final int NODE_SHIFT = 56;
    private static final long LOCAL_MASK = (1L << NODE_SHIFT) - 1;

    private SetIds() {
    }

    public static long of(int node, long local) {
        if (node < 0 || node > 255) {
            throw new IllegalArgumentException("node must be 0..255, not " + node);
        }
        if (local < 0 || local > LOCAL_MASK) {
            throw new IllegalArgumentException("local set number out of range: " + local);
        }
        return ((long) node << NODE_SHIFT) | local;
    }

    /** The creating node, or 0 for a well-known set. */
    public static int node(long setId) {
        return (int) (setId >>> NODE_SHIFT);
    }

    public static long local(long setId) {
        return setId & LOCAL_MASK;
    }

    public static boolean wellKnown(long setId) {
        return node(setId) == 0;
    }

    /** {@code node:local}, the form commands print and accept. */
    public static String format(long setId) {
        return node(setId) + ":" + local(setId);
    }

    /** Parses {@link #format} or a plain number. */
    public static long parse(String text) {
        try {
            int colon = text.indexOf(':');
            if (colon < 0) {
                return Long.parseLong(text);
            }
            return of(Integer.parseInt(text.substring(0, colon)), Long.parseLong(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a set id (NODE:NUMBER)");
        }
    }
}
