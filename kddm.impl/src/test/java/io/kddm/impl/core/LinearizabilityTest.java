package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.kddm.impl.core.History.Kind;
import io.kddm.impl.core.History.Op;

/** The checker itself: it must accept what is linearizable and refuse what is not. */
class LinearizabilityTest {

    private static boolean ok(Op... history) {
        return Linearizability.check(List.of(history)).linearizable();
    }

    @Test
    void sequentialHistoryPasses() {
        assertTrue(ok(new Op(0, Kind.WRITE, 5, 0, 0, 1), new Op(0, Kind.READ, 0, 5, 2, 3),
                new Op(0, Kind.ADD, 2, 7, 4, 5), new Op(0, Kind.READ, 0, 7, 6, 7)));
    }

    @Test
    void staleReadAfterCompletedWriteFails() {
        assertFalse(ok(new Op(0, Kind.WRITE, 5, 0, 0, 1),
                new Op(0, Kind.READ, 0, 0, 2, 3)));
    }

    @Test
    void concurrentReadMaySeeEitherValue() {
        assertTrue(ok(new Op(0, Kind.WRITE, 5, 0, 0, 10),
                new Op(0, Kind.READ, 0, 0, 1, 2), new Op(0, Kind.READ, 0, 5, 3, 4)));
        // ...but not go back in time once a read saw the new value.
        assertFalse(ok(new Op(0, Kind.WRITE, 5, 0, 0, 10),
                new Op(0, Kind.READ, 0, 5, 1, 2), new Op(0, Kind.READ, 0, 0, 3, 4)));
    }

    @Test
    void lostIncrementFails() {
        // Two increments both returned 1: one of them was lost.
        assertFalse(ok(new Op(0, Kind.ADD, 1, 1, 0, 5),
                new Op(0, Kind.ADD, 1, 1, 1, 6)));
    }

    @Test
    void unknownOutcomeMayOrMayNotHaveHappened() {
        Op maybe = new Op(0, Kind.WRITE, 9, 0, 0, Long.MAX_VALUE);
        assertTrue(ok(maybe, new Op(0, Kind.READ, 0, 9, 5, 6)));
        assertTrue(ok(maybe, new Op(0, Kind.READ, 0, 0, 5, 6)));
        assertFalse(ok(maybe, new Op(0, Kind.READ, 0, 9, 5, 6),
                new Op(0, Kind.READ, 0, 0, 7, 8)));
    }

    /**
     * The search (with its backtracking and its cache) against a brute force over
     * every order of small random histories: the same verdict every time, and both
     * verdicts common enough to matter.
     */
    @Test
    void agreesWithBruteForceOnSmallRandomHistories() {
        Random r = new Random(2026);
        int accepted = 0;
        int refused = 0;
        for (int round = 0; round < 3000; round++) {
            List<Op> ops = new ArrayList<>();
            int n = 2 + r.nextInt(5);
            for (int i = 0; i < n; i++) {
                long invoke = r.nextInt(12);
                Kind kind = Kind.values()[r.nextInt(3)];
                // Only writes and adds may be of unknown outcome: History leaves such reads out.
                long response = kind != Kind.READ && r.nextInt(6) == 0 ? Long.MAX_VALUE : invoke + 1 + r.nextInt(8);
                long argument = kind == Kind.READ ? 0 : 1 + r.nextInt(2);
                long result = kind == Kind.WRITE ? 0 : r.nextInt(4);
                ops.add(new Op(0, kind, argument, result, invoke, response));
            }
            boolean expected = bruteForce(ops, new boolean[n], 0, 0);
            assertEquals(expected, Linearizability.check(ops).linearizable(), ops.toString());
            if (expected) {
                accepted++;
            } else {
                refused++;
            }
        }
        assertTrue(accepted > 300 && refused > 300, accepted + " accepted, " + refused + " refused");
    }

    /**
     * Whether the operations not yet {@code placed} can follow, from register value
     * {@code state}, at or after time {@code now} (the latest invocation placed): the
     * next one must not be preceded in real time by a known operation still unplaced.
     * Unknown operations may also never happen.
     */
    private static boolean bruteForce(List<Op> ops, boolean[] placed, long state, int count) {
        if (count == ops.size()) {
            return true;
        }
        for (int i = 0; i < ops.size(); i++) {
            if (placed[i]) {
                continue;
            }
            Op op = ops.get(i);
            boolean blocked = false;
            for (int j = 0; j < ops.size() && !blocked; j++) {
                blocked = !placed[j] && j != i && ops.get(j).response() < op.invoke();
            }
            placed[i] = true;
            boolean ok = false;
            if (op.unknown() && bruteForce(ops, placed, state, count + 1)) {
                ok = true; // it never happened
            } else if (!blocked) {
                Long next = switch (op.kind()) {
                    case READ -> op.result() == state ? state : null;
                    case WRITE -> op.argument();
                    case ADD -> op.unknown() || op.result() == state + op.argument() ? state + op.argument() : null;
                };
                ok = next != null && bruteForce(ops, placed, next, count + 1);
            }
            placed[i] = false;
            if (ok) {
                return true;
            }
        }
        return false;
    }
}
