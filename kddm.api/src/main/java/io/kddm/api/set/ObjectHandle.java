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
