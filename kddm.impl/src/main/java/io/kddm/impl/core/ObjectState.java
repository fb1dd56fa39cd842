package io.kddm.impl.core;

/**
 * The state of an object on one node, named as in Kerrighed ({@code kddm/object.h})
 * and, where Kerrighed had no such state, with a name of our own. The same names
 * are used by the code, by {@code kddm:objects}, by the logs and by the tests;
 * {@link StateTable} says what happens in each.
 * <p>
 * {@link ObjectEntry#state} holds one of the four stable states; the others are
 * what the entry's waiting fields add to it, derived in one place:
 * {@link ObjectEntry#name()}.
 */
enum ObjectState {
    INV_COPY(true, false, "no copy here"),
    READ_COPY(true, false, "a read copy; the owner lists this node in its copyset"),
    READ_OWNER(true, true, "the owner; other nodes may hold read copies"),
    WRITE_OWNER(true, true, "the owner, with the only copy: a grab here needs no message"),
    WAIT_OBJ_READ(true, false, "a GET_REQ of ours is at the home"),
    WAIT_OBJ_WRITE(true, false, "a GRAB_REQ of ours is at the home (from INV_COPY or READ_COPY)"),
    INV_FILLING(true, false, "the home said TOUCH: the IO linker makes the object here (first touch)"),
    WAIT_ACK_WRITE(true, false, "the ownership came; waiting for the INV_ACK of every copy it listed"),
    WAIT_ACK_INV(true, true, "the owner invalidates its copies for a local grab; waiting for their INV_ACK"),
    INV_DEFERRED(false, false, "an INV came while local readers hold the copy: acknowledged when they put it"),
    HOME_DOWN(false, false, "the home died: nothing is granted, the copy (if any) goes when its holders put it, "
            + "and the next get or grab asks the home anew once it is back");

    private final boolean kerrighed;
    private final boolean owner;
    private final String meaning;

    ObjectState(boolean kerrighed, boolean owner, String meaning) {
        this.kerrighed = kerrighed;
        this.owner = owner;
        this.meaning = meaning;
    }

    /** READ_OWNER or WRITE_OWNER (and WAIT_ACK_INV, an owner on its way to WRITE_OWNER). */
    boolean owner() {
        return owner;
    }

    /** One of the four states {@link ObjectEntry#state} holds, rather than a waiting state derived from it. */
    boolean stable() {
        return ordinal() <= WRITE_OWNER.ordinal();
    }

    /** Whether Kerrighed had this state; if not, the name is ours. */
    boolean kerrighed() {
        return kerrighed;
    }

    String meaning() {
        return meaning;
    }
}
