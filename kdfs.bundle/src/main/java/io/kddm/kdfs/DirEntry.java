package io.kddm.kdfs;

/**
 * One entry of a directory listing.
 *
 * @param name   its name
 * @param ino    the inode it names
 * @param type   the inode's type
 * @param cookie the offset to pass to {@link Kdfs#readdir} to continue after this entry
 */
public record DirEntry(String name, int ino, FileType type, long cookie) {
}
