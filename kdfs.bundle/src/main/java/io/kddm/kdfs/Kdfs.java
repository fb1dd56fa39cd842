package io.kddm.kdfs;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * kDFS as mounted on this node: one namespace over every node's partition,
 * with no metadata server. Operations address inodes (as FUSE does) and fail
 * with {@link KdfsException} carrying a POSIX {@link Errno}; {@link #resolve}
 * turns a path into an inode. All of them throw {@code EIO} while nothing is mounted.
 */
public interface Kdfs {
    /** Longest name, in UTF-8 bytes. */
    int NAME_MAX = 255;

    /** Whether this node has mounted the file system. */
    boolean mounted();

    /** This node's partition, empty when it is diskless or not mounted. */
    Optional<Path> partition();

    /** The root directory's inode id. */
    int root();

    /** The inode a path names (absolute, '/'-separated); symbolic links inside it are followed, not the last one. */
    Attr resolve(Caller caller, String path);

    Attr lookup(Caller caller, int dir, String name);

    Attr getattr(int ino);

    /**
     * {@code access(2)}: returns if {@code caller} may read (4), write (2) and
     * execute or search (1) what {@code mask} asks of the inode, by the rules
     * every other operation checks; {@code EACCES} if not. 0 asks only that it exists.
     */
    void access(Caller caller, int ino, int mask);

    Attr setattr(Caller caller, int ino, SetAttr changes);

    /** Creates an empty regular file; {@code EEXIST} if the name is taken. */
    Attr create(Caller caller, int dir, String name, int mode);

    Attr mkdir(Caller caller, int dir, String name, int mode);

    /** Creates a special file; only FIFOs are supported ({@code EINVAL} otherwise). */
    Attr mknod(Caller caller, int dir, String name, FileType type, int mode);

    void unlink(Caller caller, int dir, String name);

    void rmdir(Caller caller, int dir, String name);

    /**
     * Moves an entry, replacing an existing target atomically (a file by a file, a
     * directory by an empty directory); {@code EINVAL} to move a directory into its own subtree.
     */
    void rename(Caller caller, int fromDir, String from, int toDir, String to);

    /** A hard link to a file (not a directory: {@code EPERM}). */
    Attr link(Caller caller, int ino, int dir, String name);

    Attr symlink(Caller caller, int dir, String name, String target);

    String readlink(int ino);

    /**
     * Entries after {@code offset} (0 to start; then the last entry's cookie),
     * at most {@code max}, {@code .} and {@code ..} first, the others in an order
     * fixed by a hash of their names (not their creation order). Entries neither
     * added nor removed meanwhile are listed exactly once; resuming from a cookie
     * costs about {@code max} entries' reading, not the directory's.
     */
    List<DirEntry> readdir(Caller caller, int dir, long offset, int max);

    /** Opens a regular file with {@link OpenFile} flags. */
    OpenFile open(Caller caller, int ino, int flags);

    /** Writes an inode and its data back to its partition, durably. */
    void fsync(int ino);

    StatFs statfs();

    /** The operations asked here by kind and the write-back backlog now (read-only; works unmounted too). */
    KdfsStats stats();
}
