package io.kddm.kdfs;

import java.time.Instant;

/**
 * An inode's attributes, as {@code stat} shows them.
 *
 * @param ino   inode id: the node that stores the entry in the high 8 bits, its local id in the low 24
 * @param type  file type
 * @param mode  permission bits (07777)
 * @param uid   owner
 * @param gid   group
 * @param size  bytes of a file or a symbolic link's target; pages times page size for a directory
 * @param nlink link count
 * @param atime last access
 * @param mtime last change of the content
 * @param ctime last change of the inode
 */
public record Attr(int ino, FileType type, int mode, int uid, int gid, long size, int nlink, Instant atime,
        Instant mtime, Instant ctime) {

    /** The node whose partition stores this entry. */
    public int node() {
        return ino >>> 24;
    }

    public boolean isDirectory() {
        return type == FileType.DIRECTORY;
    }

    /** {@code st_mode}: type and permission bits. */
    public int stMode() {
        return type.bits() | mode;
    }
}
