package io.kddm.membership;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.kddm.api.membership.View;
import io.microraft.MembershipChangeMode;
import io.microraft.RaftEndpoint;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.message.RaftMessage;

/** Every MicroRaft message and log content through our codec and back, and malformed frames refused. */
class RaftCodecTest {
    private final RaftCodec codec = new RaftCodec();
    private final RaftModelFactory f = codec.factory();
    private final RaftEndpoint n1 = new NodeEndpoint(1);
    private final RaftEndpoint n2 = new NodeEndpoint(2);

    private RaftGroupMembersView members() {
        return f.createRaftGroupMembersViewBuilder().setLogIndex(3).setMembers(List.of(n1, n2))
                .setVotingMembers(List.of(n1, n2)).build();
    }

    private View view() {
        SortedMap<Integer, View.Member> m = new TreeMap<>();
        m.put(1, new View.Member(1, 11, 1));
        m.put(7, new View.Member(7, 77, 4));
        return new View(5, m);
    }

    private List<RaftMessage> everyMessage() {
        LogEntry op = f.createLogEntryBuilder().setIndex(9).setTerm(2)
                .setOperation(new ViewOp(ViewOp.Kind.EXCLUDE, 7, 77)).build();
        LogEntry group = f.createLogEntryBuilder().setIndex(10).setTerm(2).setOperation(f
                .createUpdateRaftGroupMembersOpBuilder().setMembers(List.of(n1)).setVotingMembers(List.of(n1))
                .setEndpoint(n2).setMode(MembershipChangeMode.REMOVE_MEMBER).build()).build();
        LogEntry noop = f.createLogEntryBuilder().setIndex(11).setTerm(3).setOperation(ViewOp.NEW_TERM_OP).build();
        var chunk = f.createSnapshotChunkBuilder().setIndex(8).setTerm(2).setOperation(view()).setSnapshotChunkIndex(0)
                .setSnapshotChunkCount(1).setGroupMembersView(members()).build();
        return List.of(
                f.createAppendEntriesRequestBuilder().setGroupId(RaftCodec.GROUP).setSender(n1).setTerm(3)
                        .setPreviousLogTerm(2).setPreviousLogIndex(8).setCommitIndex(8)
                        .setLogEntries(List.of(op, group, noop)).setQuerySequenceNumber(4)
                        .setFlowControlSequenceNumber(5).build(),
                f.createAppendEntriesSuccessResponseBuilder().setGroupId(RaftCodec.GROUP).setSender(n2).setTerm(3)
                        .setLastLogIndex(11).setQuerySequenceNumber(4).setFlowControlSequenceNumber(5).build(),
                f.createAppendEntriesFailureResponseBuilder().setGroupId(RaftCodec.GROUP).setSender(n2).setTerm(3)
                        .setExpectedNextIndex(7).setQuerySequenceNumber(4).setFlowControlSequenceNumber(5).build(),
                f.createInstallSnapshotRequestBuilder().setGroupId(RaftCodec.GROUP).setSender(n1).setTerm(3)
                        .setSenderLeader(true).setSnapshotTerm(2).setSnapshotIndex(8).setTotalSnapshotChunkCount(1)
                        .setSnapshotChunk(chunk).setSnapshottedMembers(List.of(n1, n2)).setGroupMembersView(members())
                        .setQuerySequenceNumber(4).setFlowControlSequenceNumber(5).build(),
                f.createInstallSnapshotRequestBuilder().setGroupId(RaftCodec.GROUP).setSender(n1).setTerm(3)
                        .setSenderLeader(true).setSnapshotTerm(2).setSnapshotIndex(8).setTotalSnapshotChunkCount(1)
                        .setSnapshotChunk(null).setSnapshottedMembers(List.of(n1)).setGroupMembersView(members())
                        .setQuerySequenceNumber(4).setFlowControlSequenceNumber(5).build(),
                f.createInstallSnapshotResponseBuilder().setGroupId(RaftCodec.GROUP).setSender(n2).setTerm(3)
                        .setSnapshotIndex(8).setRequestedSnapshotChunkIndex(0).setQuerySequenceNumber(4)
                        .setFlowControlSequenceNumber(5).build(),
                f.createPreVoteRequestBuilder().setGroupId(RaftCodec.GROUP).setSender(n1).setTerm(4)
                        .setLastLogTerm(3).setLastLogIndex(11).build(),
                f.createPreVoteResponseBuilder().setGroupId(RaftCodec.GROUP).setSender(n2).setTerm(4).setGranted(true)
                        .build(),
                f.createTriggerLeaderElectionRequestBuilder().setGroupId(RaftCodec.GROUP).setSender(n1).setTerm(4)
                        .setLastLogTerm(3).setLastLogIndex(11).build(),
                f.createVoteRequestBuilder().setGroupId(RaftCodec.GROUP).setSender(n1).setTerm(4).setLastLogTerm(3)
                        .setLastLogIndex(11).setSticky(true).build(),
                f.createVoteResponseBuilder().setGroupId(RaftCodec.GROUP).setSender(n2).setTerm(4).setGranted(false)
                        .build());
    }

    @Test
    void everyMessageTypeRoundTrips() {
        for (RaftMessage m : everyMessage()) {
            byte[] bytes = codec.encode(m);
            RaftMessage back = codec.decode(bytes);
            assertEquals(m.getClass(), back.getClass());
            // Our codec is deterministic, and MicroRaft's model classes print every field.
            assertArrayEquals(bytes, codec.encode(back), m.getClass().getSimpleName());
            assertEquals(m.toString(), back.toString());
        }
    }

    @Test
    void viewsRoundTrip() {
        assertEquals(view(), RaftCodec.decodeView(RaftCodec.encode(view())));
        assertEquals(View.NONE, RaftCodec.decodeView(RaftCodec.encode(View.NONE)));
    }

    /** Every truncation and every bit flip of every message: an IllegalArgumentException or a message, never another failure. */
    @Test
    void malformedFramesAreRefusedWithAClearError() {
        Random random = new Random(7);
        int refused = 0;
        for (RaftMessage m : everyMessage()) {
            byte[] bytes = codec.encode(m);
            for (int len = 0; len < bytes.length; len++) {
                byte[] cut = Arrays.copyOf(bytes, len);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> codec.decode(cut));
                assertTrue(e.getMessage().contains("membership message"), e.getMessage());
                refused++;
            }
            byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
            assertThrows(IllegalArgumentException.class, () -> codec.decode(longer), "a trailing byte");
            for (int i = 0; i < 200; i++) {
                byte[] flipped = bytes.clone();
                flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
                try {
                    codec.decode(flipped);
                } catch (IllegalArgumentException expected) {
                    refused++;
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> RaftCodec.decodeView(new byte[] {0, 0, 0}));
        System.out.println(refused + " malformed frames refused");
    }
}
