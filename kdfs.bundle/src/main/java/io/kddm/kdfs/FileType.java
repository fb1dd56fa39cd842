package io.kddm.kdfs;

/** What an inode is; {@link #bits} is its {@code S_IFMT} value. */
public enum FileType {
    REGULAR(0100000), DIRECTORY(0040000), SYMLINK(0120000), FIFO(0010000);

    private final int bits;

    FileType(int bits) {
        this.bits = bits;
    }

    public int bits() {
        return bits;
    }
}
