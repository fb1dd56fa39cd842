package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.kddm.impl.core.History.Kind;
import io.kddm.impl.core.History.Op;

/** The checker itself: it must accept what is linearizable and refuse what is not. */
class LinearizabilityTest {

    @Test
    void sequentialHistoryPasses() {
        assertTrue(Linearizability.check(List.of(new Op(0, Kind.WRITE, 5, 0, 0, 1), new Op(0, Kind.READ, 0, 5, 2, 3),
                new Op(0, Kind.ADD, 2, 7, 4, 5), new Op(0, Kind.READ, 0, 7, 6, 7))).linearizable());
    }

    @Test
    void staleReadAfterCompletedWriteFails() {
        assertFalse(Linearizability.check(List.of(new Op(0, Kind.WRITE, 5, 0, 0, 1),
                new Op(0, Kind.READ, 0, 0, 2, 3))).linearizable());
    }

    @Test
    void concurrentReadMaySeeEitherValue() {
        assertTrue(Linearizability.check(List.of(new Op(0, Kind.WRITE, 5, 0, 0, 10),
                new Op(0, Kind.READ, 0, 0, 1, 2), new Op(0, Kind.READ, 0, 5, 3, 4))).linearizable());
        // ...but not go back in time once a read saw the new value.
        assertFalse(Linearizability.check(List.of(new Op(0, Kind.WRITE, 5, 0, 0, 10),
                new Op(0, Kind.READ, 0, 5, 1, 2), new Op(0, Kind.READ, 0, 0, 3, 4))).linearizable());
    }

    @Test
    void lostIncrementFails() {
        // Two increments both returned 1: one of them was lost.
        assertFalse(Linearizability.check(List.of(new Op(0, Kind.ADD, 1, 1, 0, 5),
                new Op(0, Kind.ADD, 1, 1, 1, 6))).linearizable());
    }

    @Test
    void unknownOutcomeMayOrMayNotHaveHappened() {
        Op maybe = new Op(0, Kind.WRITE, 9, 0, 0, Long.MAX_VALUE);
        assertTrue(Linearizability.check(List.of(maybe, new Op(0, Kind.READ, 0, 9, 5, 6))).linearizable());
        assertTrue(Linearizability.check(List.of(maybe, new Op(0, Kind.READ, 0, 0, 5, 6))).linearizable());
        assertFalse(Linearizability.check(List.of(maybe, new Op(0, Kind.READ, 0, 9, 5, 6),
                new Op(0, Kind.READ, 0, 0, 7, 8))).linearizable());
    }
}
