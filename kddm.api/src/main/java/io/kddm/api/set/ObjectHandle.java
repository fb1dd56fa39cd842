package io.kddm.api.set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An object held in a critical section. Closing the handle is {@code put}: it
 * releases the lock (and, after a grab, publishes the new value).
 */
@ProviderType
public interface ObjectHandle extends AutoCloseable {

    long setId();

    long objectId();

    /** Whether this handle came from a grab. */
    boolean writable();

    /** A copy of the object's bytes. */
    byte[] value();

    /**
     * Copies up to {@code length} of the object's bytes from {@code offset} into
     * {@code into} at {@code at}: a part of {@link #value} without copying the rest.
     *
     * @return how many bytes were copied (0 from the end of the object on)
     */
    default int read(int offset, byte[] into, int at, int length) {
        byte[] v = value();
        int n = Math.max(0, Math.min(length, v.length - offset));
        if (n > 0) { // an offset past the end copies nothing (arraycopy would refuse it)
            System.arraycopy(v, offset, into, at, n);
        }
        return n;
    }

    /**
     * Replaces the object's bytes.
     *
     * @throws IllegalStateException after a get, or once closed
     * @throws ObjectTooLargeException over the family's size limit
     */
    void value(byte[] bytes);

    /** Releases the object ({@code put}). Closing twice is harmless. */
    @Override
    void close();
}
