package io.kddm.kdfs.fuse.internal;

import jnr.ffi.Pointer;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * The libfuse2 calls that {@code fuse_main} makes, for {@link FuseSession} to
 * make them one by one (all exported by libfuse.so.2, FUSE 2.6 versions). Public for
 * jnr-ffi, which implements it; the package is private to the bundle.
 */
public interface FuseLibrary {
    /**
     * Parses the command line, mounts and makes the session ({@code fuse_new} is
     * not called directly: its unversioned symbol is FUSE 1's, which dlsym may
     * pick). {@code mountpoint} receives a string that {@link #fuse_teardown} frees.
     */
    Pointer fuse_setup(int argc, String[] argv, FuseOperations op, @size_t long opSize, Pointer mountpoint,
            Pointer multithreaded, Pointer userData);

    Pointer fuse_get_session(Pointer fuse);

    Pointer fuse_session_next_chan(Pointer se, Pointer ch);

    void fuse_session_exit(Pointer se);

    int fuse_session_exited(Pointer se);

    @size_t long fuse_chan_bufsize(Pointer ch);

    int fuse_chan_recv(Pointer chRef, Pointer buf, @size_t long size);

    void fuse_session_process(Pointer se, Pointer buf, @size_t long len, Pointer ch);

    /** Unmounts (unless it is already), closes the channel, destroys the session, frees {@code mountpoint}. */
    void fuse_teardown(Pointer fuse, Pointer mountpoint);
}
