package io.kddm.api.membership;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Who is in the cluster, as a majority of the voting nodes agreed: the {@code
 * epoch} grows by one with every change, and every node goes through the same
 * views in the same order.
 *
 * @param epoch   the number of this view; 0 before any was agreed
 * @param members the nodes in it, by id
 */
public record View(long epoch, SortedMap<Integer, Member> members) {
    /** An empty view: nothing agreed yet. */
    public static final View NONE = new View(0, new TreeMap<>());

    /**
     * A node in a view.
     *
     * @param node        its id, 1..255
     * @param incarnation the number it joined with: a node that was excluded or restarted joins again with a new one
     * @param joined      the epoch of the view this incarnation joined in
     */
    public record Member(int node, long incarnation, long joined) {
    }

    public View {
        members = Collections.unmodifiableSortedMap(new TreeMap<>(members));
    }

    public boolean contains(int node) {
        return members.containsKey(node);
    }

    public Optional<Member> member(int node) {
        return Optional.ofNullable(members.get(node));
    }

    /** Whether {@code node} is in this view as the incarnation {@code incarnation}. */
    public boolean contains(int node, long incarnation) {
        Member m = members.get(node);
        return m != null && m.incarnation() == incarnation;
    }

    /** The members of {@code previous} that are not in this view as the same incarnation. */
    public Map<Integer, Member> departedSince(View previous) {
        SortedMap<Integer, Member> gone = new TreeMap<>();
        previous.members.forEach((id, m) -> {
            if (!contains(id, m.incarnation())) {
                gone.put(id, m);
            }
        });
        return gone;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("view ").append(epoch).append(" [");
        members.values().forEach(m -> b.append(b.charAt(b.length() - 1) == '[' ? "" : " ").append(m.node()));
        return b.append(']').toString();
    }
}
