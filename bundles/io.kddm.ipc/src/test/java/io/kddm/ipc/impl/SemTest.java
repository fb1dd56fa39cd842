package io.kddm.ipc.impl;

import static io.kddm.ipc.impl.IpcCluster.caller;
import static io.kddm.ipc.impl.IpcCluster.root;
import static io.kddm.ipc.impl.QueueTest.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.ipc.Errno;
import io.kddm.ipc.Ipc;
import io.kddm.ipc.IpcException;
import io.kddm.ipc.SemClient;
import io.kddm.ipc.SemOp;
import io.kddm.ipc.Semaphores;

/** Semaphore sets on simulated nodes: atomic semop, mutual exclusion, SEM_UNDO at close and at a crash, semctl. */
class SemTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private IpcCluster cluster;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<SemOp> ops(String text) {
        List<SemOp> out = new ArrayList<>();
        for (String s : text.split(" ")) {
            out.add(SemOp.parse(s));
        }
        return out;
    }

    private static Errno errno(Runnable r) {
        return assertThrows(IpcException.class, r::run).errno();
    }

    @Test
    void severalOperationsApplyAllOrNone() throws Exception {
        cluster = new IpcCluster(3, 11, 600_000);
        Semaphores s1 = cluster.sems(1);
        int id = s1.semget(root(1), 21, 3, Ipc.IPC_CREAT | 0600);
        s1.setall(root(1), id, new int[] {1, 0, 5});
        SemClient c2 = cluster.sems(2).open(root(2));
        assertEquals(Errno.EAGAIN, errno(() -> c2.semop(id, ops("0:-1 1:-1:nowait 2:+1"), LONG)));
        assertArrayEquals(new int[] {1, 0, 5}, s1.getall(root(1), id)); // none applied
        Future<?> blocked = pool.submit(() -> c2.semop(id, ops("0:-1 1:-1 2:+1"), LONG));
        await("the semop waits", () -> cluster.sems(3).getncnt(root(3), id, 1) == 1);
        assertArrayEquals(new int[] {1, 0, 5}, cluster.sems(3).getall(root(3), id));
        assertFalse(blocked.isDone());
        cluster.sems(3).setval(root(3), id, 1, 1); // now all can: they apply at once, woken on node 2
        blocked.get(30, TimeUnit.SECONDS);
        assertArrayEquals(new int[] {0, 0, 6}, s1.getall(root(1), id));
        assertEquals(root(2).pid(), s1.getpid(root(1), id, 2)); // the last semop on it was node 2's
        // wait-for-zero
        Future<?> zero = pool.submit(() -> cluster.sems(1).open(root(1)).semop(id, ops("2:0"), LONG));
        await("a wait for zero", () -> cluster.sems(2).getzcnt(root(2), id, 2) == 1);
        c2.semop(id, ops("2:-6"), LONG);
        zero.get(30, TimeUnit.SECONDS);
        // errors
        assertEquals(Errno.EFBIG, errno(() -> c2.semop(id, ops("3:-1"), LONG)));
        assertEquals(Errno.ERANGE, errno(() -> c2.semop(id, ops("0:+32767 0:+1"), LONG)));
        assertEquals(Errno.ERANGE, errno(() -> s1.setval(root(1), id, 0, 40000)));
        assertEquals(Errno.EINVAL, errno(() -> s1.getval(root(1), id, 3)));
        assertEquals(Errno.EINVAL, errno(() -> s1.semget(root(1), 21, 4, 0))); // it has 3
        assertEquals(Errno.EINVAL, errno(() -> s1.semget(root(1), 22, 0, Ipc.IPC_CREAT)));
        assertEquals(Errno.EEXIST, errno(() -> s1.semget(root(1), 21, 3, Ipc.IPC_CREAT | Ipc.IPC_EXCL)));
        assertEquals(Errno.EACCES, errno(() -> cluster.sems(2).open(caller(2, 5, 5)).semop(id, ops("0:+1"), LONG)));
        assertEquals(Errno.EACCES, errno(() -> cluster.sems(2).getval(caller(2, 5, 5), id, 0)));
        assertEquals(Errno.EPERM, errno(() -> cluster.sems(2).remove(caller(2, 5, 5), id)));
        assertEquals(1, s1.list().size());
    }

    /**
     * A semaphore at 1 as a mutex by 3 nodes x 3 threads: the critical
     * section increments a counter by reading it, yielding and writing it
     * (not atomic), and checks it is alone. The counter ends exact.
     */
    @Test
    void aSemaphoreAsAMutexOfThreeNodesNeverAdmitsTwoHolders() throws Exception {
        cluster = new IpcCluster(3, 12);
        int id = cluster.sems(1).semget(root(1), 23, 1, Ipc.IPC_CREAT | 0600);
        cluster.sems(1).setval(root(1), id, 0, 1);
        int rounds = 40;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        int[] counter = {0};
        List<Callable<Void>> work = new ArrayList<>();
        for (int node = 1; node <= 3; node++) {
            for (int t = 0; t < 3; t++) {
                int n = node;
                work.add(() -> {
                    try (SemClient c = cluster.sems(n).open(root(n))) {
                        for (int i = 0; i < rounds; i++) {
                            c.semop(id, ops("0:-1:undo"), LONG);
                            if (inside.incrementAndGet() != 1) {
                                overlaps.incrementAndGet();
                            }
                            int v = counter[0];
                            Thread.yield();
                            counter[0] = v + 1;
                            inside.decrementAndGet();
                            c.semop(id, ops("0:+1:undo"), LONG);
                        }
                    }
                    return null;
                });
            }
        }
        for (Future<Void> f : pool.invokeAll(work, 180, TimeUnit.SECONDS)) {
            f.get();
        }
        assertEquals(0, overlaps.get());
        assertEquals(9 * rounds, counter[0]);
        assertEquals(1, cluster.sems(2).getval(root(2), id, 0));
        assertEquals(0, cluster.sems(3).stat(root(3), id).undos());
    }

    @Test
    void undoIsAppliedWhenTheClientCloses() throws Exception {
        cluster = new IpcCluster(3, 13, 600_000);
        int id = cluster.sems(1).semget(root(1), 25, 2, Ipc.IPC_CREAT | 0600);
        cluster.sems(1).setall(root(1), id, new int[] {1, 0});
        SemClient holder = cluster.sems(3).open(root(3));
        holder.semop(id, ops("0:-1:undo 1:+2:undo"), LONG);
        assertEquals(1, cluster.sems(1).stat(root(1), id).undos());
        Future<?> waiter = pool.submit(() -> cluster.sems(2).open(root(2)).semop(id, ops("0:-1"), LONG));
        await("a waiter", () -> cluster.sems(1).getncnt(root(1), id, 0) == 1);
        holder.close();
        waiter.get(30, TimeUnit.SECONDS);
        assertArrayEquals(new int[] {0, 0}, cluster.sems(1).getall(root(1), id)); // 1 back and taken; +2 undone
        assertEquals(0, cluster.sems(1).stat(root(1), id).undos());
        holder.close(); // twice is harmless
        // SETVAL clears the adjustments of that semaphore
        SemClient other = cluster.sems(2).open(root(2));
        other.semop(id, ops("1:+3:undo"), LONG);
        cluster.sems(1).setval(root(1), id, 1, 10);
        other.close();
        assertEquals(10, cluster.sems(1).getval(root(1), id, 1));
    }

    @Test
    void undoOfANodeTakenOutOfTheViewIsAppliedAndWakesTheWaiters() throws Exception {
        cluster = new IpcCluster(3, 14, 600_000);
        int id = cluster.sems(1).semget(root(1), 27, 1, Ipc.IPC_CREAT | 0600);
        cluster.sems(1).setval(root(1), id, 0, 1);
        SemClient holder = cluster.sems(3).open(root(3));
        holder.semop(id, ops("0:-1:undo"), LONG); // node 3 is the last writer: it owns the set
        List<Future<?>> waiters = new ArrayList<>();
        for (int node = 1; node <= 2; node++) {
            int n = node;
            waiters.add(pool.submit(() -> cluster.sems(n).open(root(n)).semop(id, ops("0:-1"), LONG)));
        }
        await("two waiters", () -> cluster.sems(1).getncnt(root(1), id, 0) == 2);
        long start = System.nanoTime();
        cluster.crash(3);
        // exactly one of the two gets it: the value the crashed holder took comes back once
        int done = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (done == 0 && System.nanoTime() < deadline) {
            done = (int) waiters.stream().filter(Future::isDone).count();
            Thread.sleep(5);
        }
        System.out.printf("SEM_UNDO of a crashed node applied after %d ms%n", (System.nanoTime() - start) / 1_000_000);
        assertEquals(1, done);
        Future<?> first = waiters.get(0).isDone() ? waiters.get(0) : waiters.get(1);
        Future<?> second = first == waiters.get(0) ? waiters.get(1) : waiters.get(0);
        first.get(); // it succeeded
        assertEquals(0, cluster.sems(1).getval(root(1), id, 0));
        assertEquals(0, cluster.sems(2).stat(root(2), id).undos());
        assertEquals(1, cluster.sems(2).getncnt(root(2), id, 0));
        cluster.sems(2).remove(root(2), id); // and removal wakes the last one with EIDRM
        ExecutionException e = assertThrows(ExecutionException.class, () -> second.get(30, TimeUnit.SECONDS));
        assertEquals(Errno.EIDRM, ((IpcException) e.getCause()).errno());
    }
}
