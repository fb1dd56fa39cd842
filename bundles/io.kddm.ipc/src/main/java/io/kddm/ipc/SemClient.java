package io.kddm.ipc;

import java.time.Duration;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A user of semaphores, as a process: the operations it made with
 * {@link Ipc#SEM_UNDO} are undone when it is closed, or, if its node dies or
 * leaves the cluster first, by a surviving node.
 */
@ProviderType
public interface SemClient extends AutoCloseable {

    Caller caller();

    /**
     * Applies {@code ops} atomically: all at once when every one of them can be,
     * or none; waits (at most {@code timeout}) until they can, unless one has
     * {@link Ipc#IPC_NOWAIT} (EAGAIN). Waiters are served in the order they came
     * among those whose operations can proceed.
     */
    void semop(int id, List<SemOp> ops, Duration timeout);

    /** Applies the undo adjustments of this client and forgets them; closing twice is harmless. */
    @Override
    void close();
}
