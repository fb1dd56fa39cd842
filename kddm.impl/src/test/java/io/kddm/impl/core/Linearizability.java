package io.kddm.impl.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that one object's history is linearizable for a 64-bit register that
 * starts at 0: Wing and Gong's search with Lowe's just-in-time linearization
 * and a cache of (operations linearized, state) already explored, as Porcupine
 * does. Operations of unknown outcome have no response, so they may take effect
 * at any point after their invocation, or never. A history of adds of one
 * same amount alone, a counter's, goes to {@link CounterLinearizability}.
 */
public final class Linearizability {
    private Linearizability() {
    }

    /** The verdict, with the number of operations checked. */
    public record Result(boolean linearizable, int operations, String detail) {
    }

    private static final class Entry {
        final History.Op op;
        final int id;
        final boolean call;
        final long time;
        Entry match;
        Entry prev;
        Entry next;

        Entry(History.Op op, int id, boolean call, long time) {
            this.op = op;
            this.id = id;
            this.call = call;
            this.time = time;
        }
    }

    private record Memo(BitSet linearized, long state) {
    }

    /** Steps the register; null if the operation cannot happen in {@code state}. */
    private static Long step(long state, History.Op op) {
        return switch (op.kind()) {
            case READ -> op.result() == state ? state : null;
            case WRITE -> op.argument();
            case ADD -> op.unknown() || op.result() == state + op.argument() ? state + op.argument() : null;
        };
    }

    /**
     * Checks every object of {@code history} on its own (linearizability is local).
     *
     * @return how many operations were checked
     * @throws AssertionError naming the first object with no linearization, or if the history is empty
     */
    public static int checkAll(History history) {
        int checked = 0;
        for (Map.Entry<Long, List<History.Op>> e : history.byObject().entrySet()) {
            Result r = check(e.getValue());
            if (!r.linearizable()) {
                throw new AssertionError("object " + e.getKey() + ": " + r.detail());
            }
            checked += r.operations();
        }
        if (checked == 0) {
            throw new AssertionError("the history is empty: nothing was checked");
        }
        return checked;
    }

    /**
     * Checks one object's history: with {@link CounterLinearizability} when it is
     * made only of adds of one same positive amount (the search's memos, a set of
     * linearized operations each, ran out of heap on such a history of 123,000
     * operations), with the search otherwise.
     */
    public static Result check(List<History.Op> history) {
        long addend = CounterLinearizability.commonAddend(history);
        return addend > 0 ? CounterLinearizability.check(history, addend) : search(history);
    }

    /** Wing and Gong's search, for any history (the tests compare it with the fast path). */
    static Result search(List<History.Op> history) {
        List<Entry> events = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            History.Op op = history.get(i);
            Entry call = new Entry(op, i, true, op.invoke());
            Entry ret = new Entry(op, i, false, op.response());
            call.match = ret;
            ret.match = call;
            events.add(call);
            events.add(ret);
        }
        // Calls before returns at the same instant: such operations are concurrent.
        events.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> e.call ? 0 : 1));
        Entry head = new Entry(null, -1, false, Long.MIN_VALUE);
        Entry last = head;
        for (Entry e : events) {
            last.next = e;
            e.prev = last;
            last = e;
        }
        BitSet linearized = new BitSet(history.size());
        Set<Memo> cache = new HashSet<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        long state = 0;
        Entry entry = head.next;
        long steps = 0;
        while (head.next != null) {
            if (++steps > 50_000_000L) {
                return new Result(false, history.size(), "search gave up after " + steps + " steps");
            }
            if (entry.call) {
                Long next = step(state, entry.op);
                if (next != null) {
                    BitSet candidate = (BitSet) linearized.clone();
                    candidate.set(entry.id);
                    if (cache.add(new Memo(candidate, next))) {
                        stack.push(new Object[] {entry, state});
                        state = next;
                        linearized.set(entry.id);
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                if (stack.isEmpty()) {
                    return new Result(false, history.size(), "no linearization; stuck before the return of " + entry.op);
                }
                Object[] top = stack.pop();
                Entry undone = (Entry) top[0];
                state = (Long) top[1];
                linearized.clear(undone.id);
                unlift(undone);
                entry = undone.next;
            }
        }
        return new Result(true, history.size(), "");
    }

    private static void lift(Entry call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Entry ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    private static void unlift(Entry call) {
        Entry ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }
}
