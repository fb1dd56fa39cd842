package io.kddm.kdfs.fuse.internal;

/**
 * The Linux kernel's FUSE protocol, as {@code <linux/fuse.h>} defines it (7.38
 * layouts): the opcodes this mount serves, the flags it negotiates and the sizes
 * of the structures it reads and writes. Little-endian, as the machine.
 */
final class FuseProtocol {
    static final int MAJOR = 7;
    /** The layouts below are those of 7.38; an older kernel is answered in its own minor (7.23 at least). */
    static final int MINOR = 38;
    static final int OLDEST_MINOR = 23;

    // opcodes
    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int READLINK = 5;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int UNLINK = 10;
    static final int RMDIR = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int FSYNC = 20;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int FSYNCDIR = 30;
    static final int ACCESS = 34;
    static final int CREATE = 35;
    static final int INTERRUPT = 36;
    static final int DESTROY = 38;
    static final int BATCH_FORGET = 42;
    static final int RENAME2 = 45;

    // FUSE_INIT flags
    static final int ASYNC_READ = 1;
    static final int ATOMIC_O_TRUNC = 1 << 3;
    static final int BIG_WRITES = 1 << 5;
    static final int AUTO_INVAL_DATA = 1 << 12;
    static final int PARALLEL_DIROPS = 1 << 18;
    static final int MAX_PAGES = 1 << 22;

    // open_out.open_flags
    static final int FOPEN_DIRECT_IO = 1;
    static final int FOPEN_KEEP_CACHE = 1 << 1;

    // setattr_in.valid
    static final int FATTR_MODE = 1;
    static final int FATTR_UID = 1 << 1;
    static final int FATTR_GID = 1 << 2;
    static final int FATTR_SIZE = 1 << 3;
    static final int FATTR_ATIME = 1 << 4;
    static final int FATTR_MTIME = 1 << 5;
    static final int FATTR_ATIME_NOW = 1 << 7;
    static final int FATTR_MTIME_NOW = 1 << 8;

    /** The root's node id: FUSE asks for it before any lookup. */
    static final long ROOT_ID = 1;

    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;
    static final int ATTR = 88;
    static final int ENTRY_OUT = 40 + ATTR;
    static final int ATTR_OUT = 16 + ATTR;
    static final int OPEN_OUT = 16;
    static final int INIT_OUT = 64;
    static final int WRITE_IN = 40;
    static final int DIRENT = 24;

    /** Pages of one read or write request: 1 MiB. */
    static final int PAGES = 256;
    static final int MAX_WRITE = PAGES * 4096;
    /** A request buffer: the largest write and its headers (the kernel wants room for one whole request). */
    static final int BUFFER = MAX_WRITE + 4096;

    // errno values FUSE answers with that kDFS's Errno has not
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;
    static final int EPROTO = 71;

    private FuseProtocol() {
    }
}
