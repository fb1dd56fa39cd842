package io.kddm.ipc;

/** An IPC operation failed with a System V error; the message says what and which id or key. */
public class IpcException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Errno errno;

    /** An answer as expected as a success (ENOMSG of a non-blocking receive): no stack trace is taken. */
    public IpcException(Errno errno, String message) {
        super(errno + ": " + message, null, true, false);
        this.errno = errno;
    }

    public IpcException(Errno errno, String message, Throwable cause) {
        super(errno + ": " + message, cause);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
