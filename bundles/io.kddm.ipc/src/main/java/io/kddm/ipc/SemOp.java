package io.kddm.ipc;

/**
 * One operation of a semop (struct sembuf): {@code op} &lt; 0 waits until the
 * semaphore is at least {@code -op} and takes it, &gt; 0 adds, 0 waits for zero.
 *
 * @param num   the semaphore, 0..nsems-1
 * @param op    what to add
 * @param flags {@link Ipc#IPC_NOWAIT}, {@link Ipc#SEM_UNDO}
 */
public record SemOp(int num, int op, int flags) {
    public boolean undo() {
        return (flags & Ipc.SEM_UNDO) != 0;
    }

    public boolean nowait() {
        return (flags & Ipc.IPC_NOWAIT) != 0;
    }

    /**
     * Parses {@code NUM:OP[:undo][:nowait]}, e.g. {@code 0:-1:undo} or {@code 1:+1}.
     *
     * @throws IpcException EINVAL if it is not of that form
     */
    public static SemOp parse(String text) {
        String[] parts = text.trim().split(":");
        if (parts.length < 2) {
            throw new IpcException(Errno.EINVAL, "'" + text + "' is not an operation NUM:OP[:undo][:nowait]");
        }
        try {
            int flags = 0;
            for (int i = 2; i < parts.length; i++) {
                switch (parts[i].toLowerCase(java.util.Locale.ROOT)) {
                    case "undo" -> flags |= Ipc.SEM_UNDO;
                    case "nowait" -> flags |= Ipc.IPC_NOWAIT;
                    default -> throw new IpcException(Errno.EINVAL, "'" + parts[i] + "' in '" + text
                            + "' is neither undo nor nowait");
                }
            }
            String op = parts[1].startsWith("+") ? parts[1].substring(1) : parts[1];
            return new SemOp(Integer.parseInt(parts[0]), Integer.parseInt(op), flags);
        } catch (NumberFormatException e) {
            throw new IpcException(Errno.EINVAL, "'" + text + "' is not an operation NUM:OP[:undo][:nowait]");
        }
    }

    @Override
    public String toString() {
        return num + ":" + (op > 0 ? "+" : "") + op + (undo() ? ":undo" : "") + (nowait() ? ":nowait" : "");
    }
}
