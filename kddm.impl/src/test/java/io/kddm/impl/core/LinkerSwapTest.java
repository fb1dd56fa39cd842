package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.LinkerMissingException;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.UnknownFamilyException;

/**
 * A family and its IO linker that go away and come back, as when their bundle
 * is updated: operations meanwhile wait (bounded) and then run on the new one;
 * once the grace is over they fail fast; nothing stored is lost.
 */
class LinkerSwapTest {
    private SimNetwork network;
    private KddmService node;
    private KddmService other;

    @AfterEach
    void stop() {
        network.shutdown();
        node.close();
        if (other != null) {
            other.close();
        }
        network.close();
    }

    private KddmSet start(Duration grace) {
        network = new SimNetwork(3, Duration.ZERO);
        SimNetwork.Node n = network.node(1);
        node = new KddmService(n, n.membership, Duration.ofSeconds(10), 0);
        node.linkerGrace(grace);
        node.addFamily(CoherenceTest.TEST);
        node.addIoLinker(CoherenceTest.MEMORY);
        KddmSet set = node.create(CoherenceTest.FAMILY);
        try (ObjectHandle h = set.grab(1)) {
            h.value(new byte[] {42});
        }
        return set;
    }

    @Test
    void anOperationDuringAnUpdateWaitsAndRunsOnTheNewLinker() throws Exception {
        KddmSet set = start(Duration.ofSeconds(5));
        node.removeIoLinker(CoherenceTest.MEMORY);
        node.removeFamily(CoherenceTest.TEST);
        CompletableFuture<byte[]> read = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (ObjectHandle h = set.get(1)) {
                read.complete(h.value());
            } catch (RuntimeException ex) {
                read.completeExceptionally(ex);
            }
        });
        reader.start();
        Await.until("the reader waits for the linker to come back", () -> read.isDone()
                || reader.getState() == Thread.State.TIMED_WAITING);
        assertTrue(!read.isDone(), "it waits for the linker to come back: " + read);
        node.addFamily(CoherenceTest.TEST);
        node.addIoLinker(CoherenceTest.MEMORY);
        assertArrayEquals(new byte[] {42}, read.get(5, TimeUnit.SECONDS));
        assertTrue(node.coherence().stats().linkerWaits.sum() > 0, "counted as a wait for an updated linker");
    }

    @Test
    void aLinkerThatStaysAwayFailsOnceTheGraceIsOverAndLosesNothing() throws Exception {
        KddmSet set = start(Duration.ofMillis(200));
        long start = System.nanoTime();
        node.removeIoLinker(CoherenceTest.MEMORY);
        LinkerMissingException ex = assertThrows(LinkerMissingException.class, () -> set.get(1).close());
        assertTrue(ex.getMessage().contains("linker " + CoherenceTest.MEMORY.id() + " not available"), ex.getMessage());
        // The grace runs from the departure, so this holds however slow the machine is.
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "it waited for the grace");
        assertThrows(LinkerMissingException.class, () -> set.grab(1).close());
        node.removeFamily(CoherenceTest.TEST);
        assertThrows(UnknownFamilyException.class, () -> set.get(1).close());
        node.addFamily(CoherenceTest.TEST);
        node.addIoLinker(CoherenceTest.MEMORY);
        try (ObjectHandle h = set.get(1)) {
            assertArrayEquals(new byte[] {42}, h.value(), "nothing lost while it was away");
        }
    }

    @Test
    void aHomeWhoseLinkerIsBeingUpdatedKeepsServingTheOtherNodes() throws Exception {
        network = new SimNetwork(3, Duration.ofMillis(20)); // messages in flight while the linker leaves
        SimNetwork.Node one = network.node(1);
        SimNetwork.Node two = network.node(2);
        node = new KddmService(one, one.membership, Duration.ofSeconds(10), 0);
        other = new KddmService(two, two.membership, Duration.ofSeconds(10), 0);
        for (KddmService k : java.util.List.of(node, other)) {
            k.addFamily(CoherenceTest.TEST);
            k.addIoLinker(CoherenceTest.MEMORY);
        }
        KddmSet here = node.create(CoherenceTest.FAMILY);
        KddmSet there = other.lookup(here.id());
        // Objects 0 and 2 are homed on node 1 (round robin over nodes 1 and 2).
        for (long id : new long[] {0, 2}) {
            try (ObjectHandle h = there.grab(id)) {
                h.value(new byte[] {(byte) id});
            }
            here.get(id).close(); // node 1 holds a copy too
        }
        // Node 2 owns object 2 and holds it while node 1 asks for it; node 1's linker
        // bundle is then updated, and the ownership travels to node 1 while it is away.
        ObjectHandle held = there.grab(2);
        CompletableFuture<byte[]> grabbed = new CompletableFuture<>();
        Thread grabber = new Thread(() -> {
            try (ObjectHandle h = here.grab(2)) {
                grabbed.complete(h.value());
            } catch (RuntimeException ex) {
                grabbed.completeExceptionally(ex);
            }
        });
        grabber.start();
        Await.until("node 1's grab waits for node 2's", () -> grabber.getState() == Thread.State.WAITING
                || grabber.getState() == Thread.State.TIMED_WAITING);
        node.removeIoLinker(CoherenceTest.MEMORY);
        node.removeFamily(CoherenceTest.TEST);
        assertTrue(!grabbed.isDone(), "node 1's grab was still waiting when its linker left: " + grabbed);
        held.value(new byte[] {22});
        held.close();
        assertArrayEquals(new byte[] {22}, grabbed.get(5, TimeUnit.SECONDS), "the ownership was taken in");
        assertTrue(node.coherence().stats().linkerSkips.sum() > 0, "node 1's linker calls were skipped, and counted");
        try (ObjectHandle h = there.grab(0)) { // node 1, the home, must invalidate its copy
            h.value(new byte[] {7});
        }
        try (ObjectHandle h = there.get(2)) { // and node 1, the owner now, serves a copy
            assertArrayEquals(new byte[] {22}, h.value());
        }
        node.addFamily(CoherenceTest.TEST);
        node.addIoLinker(CoherenceTest.MEMORY);
        try (ObjectHandle h = here.get(0)) {
            assertArrayEquals(new byte[] {7}, h.value(), "the write made meanwhile is seen");
        }
    }
}
