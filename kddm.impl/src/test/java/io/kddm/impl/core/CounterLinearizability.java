package io.kddm.impl.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import io.kddm.impl.core.History.Kind;
import io.kddm.impl.core.History.Op;

/**
 * The exact check of a history made only of adds of one same amount {@code a > 0}
 * (the counters of {@code kddm:torture --only-add}), in O(n log n) time and O(n)
 * memory: the general search keeps a set of linearized operations per explored
 * step and ran out of heap on a 123,000-operation object.
 *
 * <p>The state after k effective adds is k*a, so a known add that returned r was
 * the (r/a)th to take effect: its <em>index</em>. A linearization is then exactly
 * an assignment of distinct indices to the known operations (fixed by their
 * results) and to the unknown ones that took effect, such that whenever x
 * responded strictly before y was invoked, index(x) &lt; index(y). Unknown
 * operations never respond, so they are only ever the later of such a pair; the
 * unknown ones not given an index took effect after everything, or never, which
 * nothing forbids. Hence the history is linearizable iff:
 * <ol>
 * <li>every known result is a positive multiple of a and no two are equal;</li>
 * <li>no known x with a higher index than a known y responded before y was
 * invoked (sweep the known ones from the highest index down, keeping the earliest
 * response seen);</li>
 * <li>every index from 1 to the highest known one that no known operation holds
 * is held by a distinct unknown operation u with index &gt; T(u), T(u) being the
 * highest index of a known operation that responded before u was invoked (0 if
 * none). The indices u may hold are all those above T(u), nested sets, so such a
 * matching exists iff for each missing index v, #{u : T(u) &lt; v} &ge;
 * #{missing indices &le; v} (Hall; taking the missing indices in ascending order,
 * any free u with T(u) &lt; v will do).</li>
 * </ol>
 * Such an assignment orders the operations by index, then puts the unknown ones
 * left over at the end: every real-time pair is respected (a known x before a
 * known y by 2, before an unknown u by the definition of T(u) or by u being last)
 * and each known add returns index*a. Conversely any linearization yields such an
 * assignment.
 */
final class CounterLinearizability {
    private CounterLinearizability() {
    }

    /**
     * The amount every operation of {@code history} adds if they are all adds of
     * one same positive amount, small enough that no count of them can overflow;
     * otherwise 0 (the general search applies).
     */
    static long commonAddend(List<Op> history) {
        if (history.isEmpty() || history.get(0).kind() != Kind.ADD) {
            return 0;
        }
        long a = history.get(0).argument();
        if (a <= 0 || a > Long.MAX_VALUE / history.size()) {
            return 0;
        }
        for (Op op : history) {
            if (op.kind() != Kind.ADD || op.argument() != a) {
                return 0;
            }
        }
        return a;
    }

    /** Checks {@code history}, made only of adds of {@code a} (see {@link #commonAddend}). */
    static Linearizability.Result check(List<Op> history, long a) {
        int n = history.size();
        List<Op> known = new ArrayList<>();
        List<Op> unknown = new ArrayList<>();
        for (Op op : history) {
            if (op.unknown()) {
                unknown.add(op);
            } else if (op.result() <= 0 || op.result() % a != 0) {
                return no(n, op + " returned " + op.result() + ", which no number of adds of " + a + " to 0 gives");
            } else {
                known.add(op);
            }
        }
        if (known.isEmpty()) {
            return new Linearizability.Result(true, n, "");
        }
        known.sort(Comparator.comparingLong(Op::result));
        int k = known.size();
        for (int i = 1; i < k; i++) {
            if (known.get(i).result() == known.get(i - 1).result()) {
                return no(n, "two operations returned " + known.get(i).result() + ": " + known.get(i - 1) + " and "
                        + known.get(i));
            }
        }
        // firstDone[i]: of the known operations holding index(known[i]) or more, the first to respond.
        Op[] firstDone = new Op[k];
        for (int i = k - 1; i >= 0; i--) {
            Op y = known.get(i);
            Op x = i + 1 < k ? firstDone[i + 1] : null;
            if (x != null && x.response() < y.invoke()) {
                return no(n, x + " returned " + x.result() + " at " + x.response() + ", before " + y + " was invoked at "
                        + y.invoke() + ", yet that one returned " + y.result() + " (less)");
            }
            firstDone[i] = x == null || y.response() < x.response() ? y : x;
        }
        // T(u) for each unknown u: the highest index among the known operations that responded before u.invoke.
        List<Op> byResponse = new ArrayList<>(known);
        byResponse.sort(Comparator.comparingLong(Op::response));
        long[] responses = new long[k];
        long[] highestSoFar = new long[k];
        for (int i = 0; i < k; i++) {
            responses[i] = byResponse.get(i).response();
            highestSoFar[i] = Math.max(i == 0 ? 0 : highestSoFar[i - 1], byResponse.get(i).result() / a);
        }
        long[] floor = new long[unknown.size()];
        for (int j = 0; j < floor.length; j++) {
            int before = respondedBefore(responses, unknown.get(j).invoke());
            floor[j] = before == 0 ? 0 : highestSoFar[before - 1];
        }
        Arrays.sort(floor);
        // The missing indices in ascending order against the unknown operations able to hold them. Each turn
        // either passes a known index or fails unless a further unknown operation exists: O(n) turns.
        long highest = known.get(k - 1).result() / a;
        int next = 0; // the next known operation by index
        int able = 0; // unknown operations u with T(u) < v
        long missing = 0;
        for (long v = 1; v <= highest; v++) {
            if (known.get(next).result() / a == v) {
                next++;
                continue;
            }
            missing++;
            while (able < floor.length && floor[able] < v) {
                able++;
            }
            if (able < missing) {
                Op blocker = firstDone[next];
                return no(n, "value " + v * a + " was returned by no operation; the " + missing + " values up to it "
                        + "that none returned need as many operations of unknown outcome invoked before any value of "
                        + v * a + " or more had returned (the first was " + blocker.result() + " at "
                        + blocker.response() + " by " + blocker + "), and " + able + " of the " + floor.length
                        + " were");
            }
        }
        return new Linearizability.Result(true, n, "");
    }

    /** How many of the ascending {@code responses} are strictly less than {@code time}. */
    private static int respondedBefore(long[] responses, long time) {
        int lo = 0;
        int hi = responses.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (responses[mid] < time) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static Linearizability.Result no(int operations, String detail) {
        return new Linearizability.Result(false, operations, "no linearization of the adds of one amount: " + detail);
    }
}
