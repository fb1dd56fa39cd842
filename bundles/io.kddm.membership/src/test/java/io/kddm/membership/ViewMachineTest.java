package io.kddm.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

import io.kddm.api.membership.View;

/** The view's operations: each change makes the next epoch; a stale or repeated one changes nothing. */
class ViewMachineTest {
    @Test
    void joinsLeavesAndExclusionsAreConditionalOnTheIncarnation() {
        View v = View.NONE;
        v = ViewMachine.apply(v, new ViewOp(ViewOp.Kind.JOIN, 1, 10));
        v = ViewMachine.apply(v, new ViewOp(ViewOp.Kind.JOIN, 2, 20));
        assertEquals(2, v.epoch());
        assertEquals(2, v.member(2).orElseThrow().joined());
        assertSame(v, ViewMachine.apply(v, new ViewOp(ViewOp.Kind.JOIN, 2, 20)), "a repeated join");
        assertSame(v, ViewMachine.apply(v, new ViewOp(ViewOp.Kind.EXCLUDE, 2, 19)), "an older incarnation's exclusion");
        assertSame(v, ViewMachine.apply(v, new ViewOp(ViewOp.Kind.NEW_TERM, 0, 0)));
        View rejoined = ViewMachine.apply(v, new ViewOp(ViewOp.Kind.JOIN, 2, 21));
        assertEquals(3, rejoined.epoch());
        assertEquals(21, rejoined.member(2).orElseThrow().incarnation());
        assertEquals(3, rejoined.member(2).orElseThrow().joined());
        assertEquals(java.util.Set.of(2), rejoined.departedSince(v).keySet(), "the old incarnation departed");
        View out = ViewMachine.apply(rejoined, new ViewOp(ViewOp.Kind.LEAVE, 2, 21));
        assertEquals(4, out.epoch());
        assertEquals(java.util.Set.of(1), out.members().keySet());
        assertSame(out, ViewMachine.apply(out, new ViewOp(ViewOp.Kind.LEAVE, 2, 21)), "a retried leave");
    }
}
