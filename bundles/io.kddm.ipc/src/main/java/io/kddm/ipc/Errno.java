package io.kddm.ipc;

/** The System V errors IPC operations fail with (Linux numbers). */
public enum Errno {
    EPERM(1), ENOENT(2), EINTR(4), E2BIG(7), EAGAIN(11), EACCES(13), EEXIST(17), EINVAL(22), EFBIG(27), ENOSPC(28),
    ERANGE(34), ENOMSG(42), EIDRM(43);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    /** The Linux errno value. */
    public int code() {
        return code;
    }
}
