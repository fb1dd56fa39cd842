package io.kddm.shm;

/** The System V error codes shared-memory calls fail with (Linux numbers). */
public enum Errno {
    EPERM(1), ENOENT(2), ENOMEM(12), EACCES(13), EEXIST(17), EINVAL(22), ENOSPC(28), EIDRM(43);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    /** The Linux errno value. */
    public int code() {
        return code;
    }
}
