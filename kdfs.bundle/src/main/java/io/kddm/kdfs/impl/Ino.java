package io.kddm.kdfs.impl;

import io.kddm.api.set.SetIds;

/**
 * Inode ids and the kDDM sets and objects they map to. An inode id is 32 bits:
 * the node that stores the entry in the high 8, its local id in the low 24.
 * Every kDFS object id carries the storing node in bits 24..31, so its kDDM home
 * is that node (the families place homes by {@code NODE_BITS}).
 */
final class Ino {
    /** Local id of a node's inode allocator (its superblock's allocation state). */
    static final int ALLOCATOR = 0;
    /** The root's local id on the root node. */
    static final int ROOT_LOCAL = 1;
    /** First local id handed out by a fresh partition. */
    static final int FIRST_FREE = 2;
    /** Local id of a node's statfs figures (computed at first touch). */
    static final int STATFS = 0xFF_FFFF;
    /** Local id of the cluster-wide rename lock, on the root node. */
    static final int RENAME_LOCK = 0xFF_FFFE;
    static final int MAX_LOCAL = 0xFF_FFFD;

    static final long INODE_SET = SetIds.of(0, 1L << 40);
    private static final long DIR_SETS = 2L << 40;
    private static final long FILE_SETS = 3L << 40;

    private Ino() {
    }

    static int of(int node, int local) {
        if (node < 1 || node > 255 || local < 0 || local > 0xFF_FFFF) {
            throw new IllegalArgumentException("no inode id for node " + node + ", local id " + local);
        }
        return node << 24 | local;
    }

    static int node(int ino) {
        return ino >>> 24;
    }

    static int local(int ino) {
        return ino & 0xFF_FFFF;
    }

    /** The inode set's object id of an inode. */
    static long object(int ino) {
        return Integer.toUnsignedLong(ino);
    }

    static int ofObject(long objectId) {
        return (int) objectId;
    }

    /** The set holding a directory's entry pages. */
    static long dirSet(int ino) {
        return SetIds.of(0, DIR_SETS | Integer.toUnsignedLong(ino));
    }

    /** The set holding a file's data pages. */
    static long fileSet(int ino) {
        return SetIds.of(0, FILE_SETS | Integer.toUnsignedLong(ino));
    }

    static boolean isDirSet(long setId) {
        return SetIds.node(setId) == 0 && (SetIds.local(setId) & ~0xFFFF_FFFFL) == DIR_SETS;
    }

    static boolean isFileSet(long setId) {
        return SetIds.node(setId) == 0 && (SetIds.local(setId) & ~0xFFFF_FFFFL) == FILE_SETS;
    }

    /** The inode a dir or file set belongs to. */
    static int ofSet(long setId) {
        return (int) SetIds.local(setId);
    }

    /** Page {@code index} of an inode's dir or file set: the home is the inode's node. */
    static long page(int ino, long index) {
        return (long) node(ino) << 24 | index;
    }

    static long pageIndex(long objectId) {
        return objectId & 0xFF_FFFF;
    }

    /** {@code node:local} with the raw id, as the commands print it. */
    static String format(int ino) {
        return node(ino) + ":" + local(ino) + " (" + Integer.toUnsignedString(ino) + ")";
    }

    /** Parses a decimal or 0x-hex inode id, or {@code NODE:LOCAL}. */
    static int parse(String text) {
        try {
            int colon = text.indexOf(':');
            if (colon >= 0) {
                return of(Integer.parseInt(text.substring(0, colon)), Integer.parseInt(text.substring(colon + 1)));
            }
            if (text.startsWith("0x") || text.startsWith("0X")) {
                return Integer.parseUnsignedInt(text.substring(2), 16);
            }
            return Integer.parseUnsignedInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not an inode id (decimal, 0xHEX or NODE:LOCAL)");
        }
    }
}
