package io.kddm.impl.core;

import java.nio.ByteBuffer;

/**
 * The version of an object's value: the view epoch of the put that made it,
 * then a sequence number that goes on from owner to owner (ownership carries
 * it). Never wall-clock time, so that any two copies of an object, a backup
 * from before a crash included, can be ordered.
 */
record Version(long epoch, long seq) implements Comparable<Version> {
    /** A value not made yet, older than any other. */
    static final Version NONE = new Version(0, 0);
    static final int BYTES = 16;

    /** The version of the value a put makes from this one in view {@code epoch}. */
    Version next(long epoch) {
        return new Version(Math.max(this.epoch, epoch), seq + 1);
    }

    @Override
    public int compareTo(Version o) {
        int c = Long.compare(epoch, o.epoch);
        return c != 0 ? c : Long.compare(seq, o.seq);
    }

    boolean newerThan(Version o) {
        return compareTo(o) > 0;
    }

    /** The newer of this and {@code o}. */
    Version newest(Version o) {
        return o.newerThan(this) ? o : this;
    }

    /** Its {@value #BYTES} bytes, as {@link #put} writes them. */
    byte[] bytes() {
        return put(ByteBuffer.allocate(BYTES)).array();
    }

    ByteBuffer put(ByteBuffer b) {
        return b.putLong(epoch).putLong(seq);
    }

    static Version get(ByteBuffer b) {
        return new Version(b.getLong(), b.getLong());
    }

    @Override
    public String toString() {
        return epoch + "." + seq;
    }
}
