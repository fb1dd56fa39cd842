package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
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

    // The fast path for counters (adds of one same amount alone): CounterLinearizability.

    /** check (the fast path here) and the search both, which must agree; returns the verdict. */
    private static Linearizability.Result counter(Op... history) {
        Linearizability.Result fast = Linearizability.check(List.of(history));
        assertEquals(Linearizability.search(List.of(history)).linearizable(), fast.linearizable(), fast.detail());
        return fast;
    }

    private static Op add(long argument, long result, long invoke, long response) {
        return new Op(0, Kind.ADD, argument, result, invoke, response);
    }

    private static Op maybeAdd(long argument, long invoke) {
        return new Op(0, Kind.ADD, argument, 0, invoke, Long.MAX_VALUE);
    }

    @Test
    void counterGapThatNoUnknownOperationCouldFillFails() {
        Linearizability.Result r = counter(add(1, 1, 0, 1), add(1, 3, 2, 3));
        assertFalse(r.linearizable());
        assertTrue(r.detail().contains("value 2 was returned by no operation"), r.detail());
    }

    @Test
    void counterGapFilledByAnUnknownOperationInvokedEarlyEnoughPasses() {
        assertTrue(counter(add(1, 1, 0, 1), maybeAdd(1, 2), add(1, 3, 4, 5)).linearizable());
        assertTrue(counter(maybeAdd(1, 0), add(1, 2, 1, 2), add(1, 3, 3, 4)).linearizable());
        // Unknown operations that need not have happened change nothing.
        assertTrue(counter(add(1, 1, 0, 1), maybeAdd(1, 2), maybeAdd(1, 3), add(1, 2, 4, 5)).linearizable());
    }

    @Test
    void counterGapWhoseOnlyUnknownOperationCameAfterAHigherValueFails() {
        // 3 had returned at 3; the unknown add invoked at 4 cannot have been the 2nd.
        Linearizability.Result r = counter(add(1, 1, 0, 1), add(1, 3, 2, 3), maybeAdd(1, 4));
        assertFalse(r.linearizable());
        assertTrue(r.detail().contains("and 0 of the 1 were"), r.detail());
        // One that came early enough does, even beside a late one.
        assertTrue(counter(add(1, 1, 0, 1), maybeAdd(1, 2), add(1, 3, 2, 3), maybeAdd(1, 4)).linearizable());
        // Two gaps, one early unknown operation: not enough.
        assertFalse(counter(maybeAdd(1, 0), add(1, 3, 1, 2), maybeAdd(1, 3), add(1, 4, 3, 5)).linearizable());
    }

    @Test
    void counterDuplicateResultsFail() {
        Linearizability.Result r = counter(add(1, 1, 0, 5), add(1, 2, 1, 6), add(1, 2, 2, 7), maybeAdd(1, 0));
        assertFalse(r.linearizable());
        assertTrue(r.detail().contains("two operations returned 2"), r.detail());
    }

    @Test
    void counterRealTimeOrderedOperationsWithInvertedResultsFail() {
        Linearizability.Result r = counter(add(1, 2, 0, 1), add(1, 1, 2, 3));
        assertFalse(r.linearizable());
        assertTrue(r.detail().contains("returned 2 at 1, before"), r.detail());
        // Equal times are concurrent: either order.
        assertTrue(counter(add(1, 2, 0, 2), add(1, 1, 2, 3)).linearizable());
        // An unknown operation does not order anything after it.
        assertTrue(counter(maybeAdd(1, 0), add(1, 1, 5, 6)).linearizable());
    }

    @Test
    void counterOfAnotherAmountUsesItsMultiples() {
        assertTrue(counter(add(5, 5, 0, 3), add(5, 15, 1, 4), add(5, 10, 2, 5)).linearizable());
        assertTrue(counter(add(5, 5, 0, 1), maybeAdd(5, 2), add(5, 15, 3, 4)).linearizable());
        Linearizability.Result r = counter(add(5, 5, 0, 1), add(5, 12, 2, 3));
        assertFalse(r.linearizable());
        assertTrue(r.detail().contains("returned 12"), r.detail());
        assertFalse(counter(add(5, 0, 0, 1)).linearizable());
        assertFalse(counter(add(5, 5, 0, 1), add(5, 15, 2, 3)).linearizable());
    }

    /**
     * The fast path against the search on thousands of small counter histories:
     * generated from a sequential execution (linearizable), half of them then
     * perturbed (results swapped or shifted, intervals moved, outcomes forgotten or
     * invented) so that many are not.
     */
    @Test
    void counterFastPathAgreesWithTheSearch() {
        long seed = 20260612L;
        Random r = new Random(seed);
        int accepted = 0;
        int refused = 0;
        for (int round = 0; round < 6000; round++) {
            long a = 1 + r.nextInt(3);
            int n = 3 + r.nextInt(10);
            int threads = 1 + r.nextInt(4);
            List<Op> ops = counterRun(r, threads, n, r.nextInt(n / 2 + 1), a, 6);
            if (round % 3 != 0) {
                perturb(r, ops, a);
            }
            assertEquals(a, CounterLinearizability.commonAddend(ops));
            Linearizability.Result fast = Linearizability.check(ops);
            boolean search = Linearizability.search(ops).linearizable();
            int at = round;
            assertEquals(search, fast.linearizable(),
                    () -> "seed " + seed + ", round " + at + ": " + ops + "\nfast path: " + fast.detail());
            if (search) {
                accepted++;
            } else {
                refused++;
            }
        }
        assertTrue(accepted > 1000 && refused > 1000, accepted + " accepted, " + refused + " refused");
    }

    @Test
    void largeCounterHistoryIsCheckedAndAnInversionFound() {
        Random r = new Random(7);
        int threads = 40;
        List<Op> ops = counterRun(r, threads, 200_000, 2_000, 1, 100);
        History h = new History();
        ops.forEach(h::add);
        assertEquals(200_000, Linearizability.checkAll(h));
        assertEquals(2_000, ops.stream().filter(Op::unknown).count());
        // Two successive known adds of one thread swap their results: the earlier now returned more.
        int i = 100_000;
        while (ops.get(i).unknown() || ops.get(i + threads).unknown()) {
            i++;
        }
        Op x = ops.get(i);
        Op y = ops.get(i + threads);
        ops.set(i, new Op(0, Kind.ADD, 1, y.result(), x.invoke(), x.response()));
        ops.set(i + threads, new Op(0, Kind.ADD, 1, x.result(), y.invoke(), y.response()));
        Linearizability.Result bad = Linearizability.check(ops);
        assertFalse(bad.linearizable());
        assertTrue(bad.detail().contains("returned " + y.result() + " at " + x.response()), bad.detail());
    }

    /**
     * {@code n} adds of {@code a} by {@code threads} threads (op i is thread i %
     * threads's, after its previous one responded) on a counter, each taking effect
     * at a point of its interval, intervals of up to 2 * {@code spread}; {@code
     * unknown} of them of unknown outcome, about half of which took effect.
     */
    private static List<Op> counterRun(Random r, int threads, int n, int unknown, long a, int spread) {
        long[] clock = new long[threads];
        long[] point = new long[n];
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int t = i % threads;
            long invoke = clock[t] + 1 + r.nextInt(spread);
            point[i] = invoke + r.nextInt(spread);
            long response = point[i] + r.nextInt(spread);
            clock[t] = response;
            ops.add(add(a, 0, invoke, response));
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, r);
        boolean[] lost = new boolean[n];
        for (int i : order.subList(0, unknown)) {
            lost[i] = true;
            ops.set(i, maybeAdd(a, ops.get(i).invoke()));
            if (r.nextBoolean()) {
                point[i] = -1; // never took effect
            }
        }
        order.sort(Comparator.comparingLong((Integer i) -> point[i]).thenComparing(i -> i));
        long value = 0;
        for (int i : order) {
            if (point[i] >= 0) {
                value += a;
                if (!lost[i]) {
                    Op op = ops.get(i);
                    ops.set(i, add(a, value, op.invoke(), op.response()));
                }
            }
        }
        return ops;
    }

    /** One to three random changes that may well make {@code ops} non-linearizable. */
    private static void perturb(Random r, List<Op> ops, long a) {
        for (int k = 1 + r.nextInt(3); k > 0; k--) {
            int i = r.nextInt(ops.size());
            int j = r.nextInt(ops.size());
            Op x = ops.get(i);
            Op y = ops.get(j);
            switch (r.nextInt(7)) {
                case 0 -> { // swap results
                    if (!x.unknown() && !y.unknown()) {
                        ops.set(i, add(a, y.result(), x.invoke(), x.response()));
                        ops.set(j, add(a, x.result(), y.invoke(), y.response()));
                    }
                }
                case 1 -> { // shift a result, sometimes off the multiples of a
                    if (!x.unknown()) {
                        long delta = r.nextInt(4) == 0 ? 1 : (r.nextBoolean() ? a : -a);
                        ops.set(i, add(a, x.result() + delta, x.invoke(), x.response()));
                    }
                }
                case 2 -> { // move the interval
                    long d = r.nextInt(17) - 8;
                    ops.set(i, x.unknown() ? maybeAdd(a, x.invoke() + d)
                            : add(a, x.result(), x.invoke() + d, x.response() + d));
                }
                case 3 -> ops.set(i, maybeAdd(a, x.invoke())); // forget an outcome
                case 4 -> { // drop an operation: a gap, unless an unknown one can fill it
                    if (ops.size() > 3) {
                        ops.remove(i);
                    }
                }
                case 5 -> { // invoke an unknown one later: maybe too late to fill a gap
                    if (x.unknown()) {
                        ops.set(i, maybeAdd(a, x.invoke() + r.nextInt(20)));
                    }
                }
                default -> { // invent an outcome
                    if (x.unknown()) {
                        ops.set(i, add(a, a * (1 + r.nextInt(ops.size())), x.invoke(), x.invoke() + r.nextInt(8)));
                    }
                }
            }
        }
    }
}
