package io.kddm.kdfs;

/** A kDFS operation failed with a POSIX error; the message says what and where. */
public class KdfsException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Errno errno;

    /** A POSIX answer, as expected as a success (ENOENT before a create): no stack trace is taken. */
    public KdfsException(Errno errno, String message) {
        super(errno + ": " + message, null, true, false);
        this.errno = errno;
    }

    public KdfsException(Errno errno, String message, Throwable cause) {
        super(errno + ": " + message, cause);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
