package io.kddm.kdfs;

/** The POSIX error codes kDFS operations fail with (Linux numbers, as FUSE wants them). */
public enum Errno {
    EPERM(1), ENOENT(2), EIO(5), EBADF(9), EACCES(13), EEXIST(17), ENOTDIR(20), EISDIR(21),
    EINVAL(22), EFBIG(27), ENOSPC(28), ENAMETOOLONG(36), ENOTEMPTY(39), ELOOP(40);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    /** The Linux errno value. */
    public int code() {
        return code;
    }
}
