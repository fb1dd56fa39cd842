package io.kddm.shm;

/** A shared-memory call failed with a System V error; the message says what and which segment. */
public class ShmException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Errno errno;

    /** An answer of the System V contract (EEXIST, ENOENT...): no stack trace is taken. */
    public ShmException(Errno errno, String message) {
        super(errno + ": " + message, null, true, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
