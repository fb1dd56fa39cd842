package io.kddm.membership;

import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;

import io.kddm.api.membership.View;
import io.microraft.statemachine.StateMachine;

/**
 * The voters' replicated state: the current view. Every committed
 * {@link ViewOp} that changes it makes a view with the next epoch; the others
 * leave it as it is. Runs on the Raft node's thread only.
 */
final class ViewMachine implements StateMachine {
    /** Told of every view this machine reaches (on the Raft thread), with the operation that made it. */
    interface Applied {
        void applied(View view, ViewOp op);
    }

    private final Applied applied;
    private volatile View view = View.NONE;

    ViewMachine(Applied applied) {
        this.applied = applied;
    }

    View view() {
        return view;
    }

    @Override
    public Object runOperation(long commitIndex, Object operation) {
        ViewOp op = (ViewOp) operation;
        View next = apply(view, op);
        if (next != view) {
            view = next;
            applied.applied(next, op);
        }
        return view;
    }

    /** {@code view} after {@code op}: the same object if nothing changes. */
    static View apply(View view, ViewOp op) {
        View.Member now = view.members().get(op.node());
        switch (op.kind()) {
            case JOIN -> {
                if (now != null && now.incarnation() == op.incarnation()) {
                    return view;
                }
                SortedMap<Integer, View.Member> members = new TreeMap<>(view.members());
                members.put(op.node(), new View.Member(op.node(), op.incarnation(), view.epoch() + 1));
                return new View(view.epoch() + 1, members);
            }
            case LEAVE, EXCLUDE -> {
                if (now == null || now.incarnation() != op.incarnation()) {
                    return view;
                }
                SortedMap<Integer, View.Member> members = new TreeMap<>(view.members());
                members.remove(op.node());
                return new View(view.epoch() + 1, members);
            }
            default -> {
                return view;
            }
        }
    }

    @Override
    public void takeSnapshot(long commitIndex, Consumer<Object> chunks) {
        chunks.accept(view);
    }

    @Override
    public void installSnapshot(long commitIndex, List<Object> chunks) {
        View v = (View) chunks.get(0);
        if (v.epoch() != view.epoch()) {
            view = v;
            applied.applied(v, ViewOp.READ_OP);
        }
    }

    @Override
    public Object getNewTermOperation() {
        return ViewOp.NEW_TERM_OP;
    }
}
