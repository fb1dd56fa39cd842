package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When {@link MemoryBudget} starts a flushing pass. */
class MemoryBudgetPassTest {
    @Test
    void noBudgetNeverFlushes() {
        MemoryBudget b = new MemoryBudget(0);
        b.changed(null, new byte[1000]);
        assertFalse(b.startPass());
    }

    @Test
    void oneWriteOverTheLimitStartsOnePass() {
        MemoryBudget b = new MemoryBudget(100);
        b.changed(null, new byte[100]);
        assertFalse(b.startPass(), "at the limit, not over it");
        b.changed(null, new byte[1]);
        assertTrue(b.startPass());
        assertFalse(b.startPass(), "one pass at a time");
        b.passDone(true);
        assertTrue(b.startPass(), "still over the limit after a pass that freed enough (handoffs in flight)");
    }

    @Test
    void afterAFruitlessPassTheNextWaitsForATenthMoreOrForRelief() {
        MemoryBudget b = new MemoryBudget(100);
        b.changed(null, new byte[150]);
        assertTrue(b.startPass());
        b.passDone(false); // nothing could be flushed
        b.changed(null, new byte[10]);
        assertFalse(b.startPass(), "160 bytes: not yet a tenth of the limit more than after the pass");
        b.changed(null, new byte[1]);
        assertTrue(b.startPass(), "161 bytes: over 150 + 10");
        b.passDone(false);
        b.changed(new byte[161], new byte[50]); // back under the limit
        assertFalse(b.startPass());
        b.changed(null, new byte[51]);
        assertTrue(b.startPass(), "over the limit again after being under it: a pass at once");
    }
}
