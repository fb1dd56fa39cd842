package io.kddm.membership;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import io.kddm.api.membership.View;
import io.microraft.MembershipChangeMode;
import io.microraft.RaftEndpoint;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.groupop.UpdateRaftGroupMembersOp;
import io.microraft.model.impl.DefaultRaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.message.AppendEntriesFailureResponse;
import io.microraft.model.message.AppendEntriesRequest;
import io.microraft.model.message.AppendEntriesSuccessResponse;
import io.microraft.model.message.InstallSnapshotRequest;
import io.microraft.model.message.InstallSnapshotResponse;
import io.microraft.model.message.PreVoteRequest;
import io.microraft.model.message.PreVoteResponse;
import io.microraft.model.message.RaftMessage;
import io.microraft.model.message.TriggerLeaderElectionRequest;
import io.microraft.model.message.VoteRequest;
import io.microraft.model.message.VoteResponse;

/**
 * Our own binary form of every MicroRaft message and of what its log holds
 * ({@link ViewOp}, {@link View}, group membership changes): big-endian, a version
 * byte, then a tag. Decoding builds MicroRaft's objects through its model
 * factory: nothing is ever deserialized by Java. A malformed payload is an
 * {@link IllegalArgumentException} saying what is wrong.
 */
final class RaftCodec {
    static final String GROUP = "kddm-views";
    private static final int VERSION = 1;
    private static final int MAX_COUNT = 100_000;

    private enum Tag {
        APPEND, APPEND_OK, APPEND_FAIL, SNAPSHOT, SNAPSHOT_OK, PRE_VOTE, PRE_VOTE_OK, TRIGGER_ELECTION, VOTE, VOTE_OK
    }

    private enum Op {
        VIEW_OP, VIEW, GROUP_CHANGE, NONE
    }

    private final RaftModelFactory f = new DefaultRaftModelFactory();

    RaftModelFactory factory() {
        return f;
    }

    // ---- messages ---------------------------------------------------------------

    byte[] encode(RaftMessage m) {
        return write(o -> {
            o.writeByte(VERSION);
            if (m instanceof AppendEntriesRequest r) {
                head(o, Tag.APPEND, m);
                o.writeInt(r.getPreviousLogTerm());
                o.writeLong(r.getPreviousLogIndex());
                o.writeLong(r.getCommitIndex());
                o.writeInt(r.getLogEntries().size());
                for (LogEntry e : r.getLogEntries()) {
                    entry(o, e);
                }
                o.writeLong(r.getQuerySequenceNumber());
                o.writeLong(r.getFlowControlSequenceNumber());
            } else if (m instanceof AppendEntriesSuccessResponse r) {
                head(o, Tag.APPEND_OK, m);
                o.writeLong(r.getLastLogIndex());
                o.writeLong(r.getQuerySequenceNumber());
                o.writeLong(r.getFlowControlSequenceNumber());
            } else if (m instanceof AppendEntriesFailureResponse r) {
                head(o, Tag.APPEND_FAIL, m);
                o.writeLong(r.getExpectedNextIndex());
                o.writeLong(r.getQuerySequenceNumber());
                o.writeLong(r.getFlowControlSequenceNumber());
            } else if (m instanceof InstallSnapshotRequest r) {
                head(o, Tag.SNAPSHOT, m);
                o.writeBoolean(r.isSenderLeader());
                o.writeInt(r.getSnapshotTerm());
                o.writeLong(r.getSnapshotIndex());
                o.writeInt(r.getTotalSnapshotChunkCount());
                SnapshotChunk c = r.getSnapshotChunk(); // null when the leader only announces the snapshot
                o.writeBoolean(c != null);
                if (c != null) {
                    chunk(o, c);
                }
                endpoints(o, r.getSnapshottedMembers());
                members(o, r.getGroupMembersView());
                o.writeLong(r.getQuerySequenceNumber());
                o.writeLong(r.getFlowControlSequenceNumber());
            } else if (m instanceof InstallSnapshotResponse r) {
                head(o, Tag.SNAPSHOT_OK, m);
                o.writeLong(r.getSnapshotIndex());
                o.writeInt(r.getRequestedSnapshotChunkIndex());
                o.writeLong(r.getQuerySequenceNumber());
                o.writeLong(r.getFlowControlSequenceNumber());
            } else if (m instanceof PreVoteRequest r) {
                head(o, Tag.PRE_VOTE, m);
                o.writeInt(r.getLastLogTerm());
                o.writeLong(r.getLastLogIndex());
            } else if (m instanceof PreVoteResponse r) {
                head(o, Tag.PRE_VOTE_OK, m);
                o.writeBoolean(r.isGranted());
            } else if (m instanceof TriggerLeaderElectionRequest r) {
                head(o, Tag.TRIGGER_ELECTION, m);
                o.writeInt(r.getLastLogTerm());
                o.writeLong(r.getLastLogIndex());
            } else if (m instanceof VoteRequest r) {
                head(o, Tag.VOTE, m);
                o.writeInt(r.getLastLogTerm());
                o.writeLong(r.getLastLogIndex());
                o.writeBoolean(r.isSticky());
            } else if (m instanceof VoteResponse r) {
                head(o, Tag.VOTE_OK, m);
                o.writeBoolean(r.isGranted());
            } else {
                throw new IllegalArgumentException("no encoding for Raft message " + m.getClass().getName());
            }
        });
    }

    RaftMessage decode(byte[] payload) {
        return read(payload, in -> {
            version(in);
            Tag tag = tag(in, Tag.values());
            RaftEndpoint sender = endpoint(in);
            int term = in.readInt();
            return switch (tag) {
                case APPEND -> f.createAppendEntriesRequestBuilder().setGroupId(GROUP).setSender(sender).setTerm(term)
                        .setPreviousLogTerm(in.readInt()).setPreviousLogIndex(in.readLong())
                        .setCommitIndex(in.readLong()).setLogEntries(entries(in))
                        .setQuerySequenceNumber(in.readLong()).setFlowControlSequenceNumber(in.readLong()).build();
                case APPEND_OK -> f.createAppendEntriesSuccessResponseBuilder().setGroupId(GROUP).setSender(sender)
                        .setTerm(term).setLastLogIndex(in.readLong()).setQuerySequenceNumber(in.readLong())
                        .setFlowControlSequenceNumber(in.readLong()).build();
                case APPEND_FAIL -> f.createAppendEntriesFailureResponseBuilder().setGroupId(GROUP).setSender(sender)
                        .setTerm(term).setExpectedNextIndex(in.readLong()).setQuerySequenceNumber(in.readLong())
                        .setFlowControlSequenceNumber(in.readLong()).build();
                case SNAPSHOT -> {
                    var b = f.createInstallSnapshotRequestBuilder().setGroupId(GROUP).setSender(sender).setTerm(term)
                            .setSenderLeader(in.readBoolean()).setSnapshotTerm(in.readInt())
                            .setSnapshotIndex(in.readLong()).setTotalSnapshotChunkCount(in.readInt());
                    b.setSnapshotChunk(in.readBoolean() ? chunk(in) : null);
                    yield b.setSnapshottedMembers(endpoints(in)).setGroupMembersView(members(in))
                            .setQuerySequenceNumber(in.readLong()).setFlowControlSequenceNumber(in.readLong()).build();
                }
                case SNAPSHOT_OK -> f.createInstallSnapshotResponseBuilder().setGroupId(GROUP).setSender(sender)
                        .setTerm(term).setSnapshotIndex(in.readLong()).setRequestedSnapshotChunkIndex(in.readInt())
                        .setQuerySequenceNumber(in.readLong()).setFlowControlSequenceNumber(in.readLong()).build();
                case PRE_VOTE -> f.createPreVoteRequestBuilder().setGroupId(GROUP).setSender(sender).setTerm(term)
                        .setLastLogTerm(in.readInt()).setLastLogIndex(in.readLong()).build();
                case PRE_VOTE_OK -> f.createPreVoteResponseBuilder().setGroupId(GROUP).setSender(sender).setTerm(term)
                        .setGranted(in.readBoolean()).build();
                case TRIGGER_ELECTION -> f.createTriggerLeaderElectionRequestBuilder().setGroupId(GROUP)
                        .setSender(sender).setTerm(term).setLastLogTerm(in.readInt()).setLastLogIndex(in.readLong())
                        .build();
                case VOTE -> f.createVoteRequestBuilder().setGroupId(GROUP).setSender(sender).setTerm(term)
                        .setLastLogTerm(in.readInt()).setLastLogIndex(in.readLong()).setSticky(in.readBoolean()).build();
                case VOTE_OK -> f.createVoteResponseBuilder().setGroupId(GROUP).setSender(sender).setTerm(term)
                        .setGranted(in.readBoolean()).build();
            };
        });
    }

    private static void head(DataOutputStream o, Tag tag, RaftMessage m) throws IOException {
        o.writeByte(tag.ordinal());
        endpoint(o, m.getSender());
        o.writeInt(m.getTerm());
    }

    // ---- what the log holds -------------------------------------------------------

    void entry(DataOutputStream o, LogEntry e) throws IOException {
        o.writeLong(e.getIndex());
        o.writeInt(e.getTerm());
        operation(o, e.getOperation());
    }

    LogEntry entry(DataInputStream in) throws IOException {
        return f.createLogEntryBuilder().setIndex(in.readLong()).setTerm(in.readInt()).setOperation(operation(in))
                .build();
    }

    private List<LogEntry> entries(DataInputStream in) throws IOException {
        int n = count(in);
        List<LogEntry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(entry(in));
        }
        return out;
    }

    void chunk(DataOutputStream o, SnapshotChunk c) throws IOException {
        o.writeLong(c.getIndex());
        o.writeInt(c.getTerm());
        operation(o, c.getOperation());
        o.writeInt(c.getSnapshotChunkIndex());
        o.writeInt(c.getSnapshotChunkCount());
        members(o, c.getGroupMembersView());
    }

    SnapshotChunk chunk(DataInputStream in) throws IOException {
        return f.createSnapshotChunkBuilder().setIndex(in.readLong()).setTerm(in.readInt())
                .setOperation(operation(in)).setSnapshotChunkIndex(in.readInt()).setSnapshotChunkCount(in.readInt())
                .setGroupMembersView(members(in)).build();
    }

    void members(DataOutputStream o, RaftGroupMembersView v) throws IOException {
        o.writeLong(v.getLogIndex());
        endpoints(o, v.getMembers());
        endpoints(o, v.getVotingMembers());
    }

    RaftGroupMembersView members(DataInputStream in) throws IOException {
        return f.createRaftGroupMembersViewBuilder().setLogIndex(in.readLong()).setMembers(endpoints(in))
                .setVotingMembers(endpoints(in)).build();
    }

    private void operation(DataOutputStream o, Object op) throws IOException {
        if (op instanceof ViewOp v) {
            o.writeByte(Op.VIEW_OP.ordinal());
            o.writeByte(v.kind().ordinal());
            o.writeByte(v.node());
            o.writeLong(v.incarnation());
        } else if (op instanceof View v) {
            o.writeByte(Op.VIEW.ordinal());
            view(o, v);
        } else if (op instanceof UpdateRaftGroupMembersOp g) {
            o.writeByte(Op.GROUP_CHANGE.ordinal());
            endpoints(o, g.getMembers());
            endpoints(o, g.getVotingMembers());
            endpoint(o, g.getEndpoint());
            o.writeByte(g.getMode().ordinal());
        } else if (op == null) {
            o.writeByte(Op.NONE.ordinal());
        } else {
            throw new IllegalArgumentException("no encoding for Raft operation " + op.getClass().getName());
        }
    }

    private Object operation(DataInputStream in) throws IOException {
        return switch (tag(in, Op.values())) {
            case VIEW_OP -> new ViewOp(tag(in, ViewOp.Kind.values()), in.readUnsignedByte(), in.readLong());
            case VIEW -> view(in);
            case GROUP_CHANGE -> f.createUpdateRaftGroupMembersOpBuilder().setMembers(endpoints(in))
                    .setVotingMembers(endpoints(in)).setEndpoint(endpoint(in))
                    .setMode(tag(in, MembershipChangeMode.values())).build();
            case NONE -> null;
        };
    }

    // ---- views ----------------------------------------------------------------------

    static byte[] encode(View v) {
        return write(o -> view(o, v));
    }

    static View decodeView(byte[] payload) {
        return read(payload, RaftCodec::view);
    }

    static void view(DataOutputStream o, View v) throws IOException {
        o.writeLong(v.epoch());
        o.writeShort(v.members().size());
        for (View.Member m : v.members().values()) {
            o.writeByte(m.node());
            o.writeLong(m.incarnation());
            o.writeLong(m.joined());
        }
    }

    static View view(DataInputStream in) throws IOException {
        long epoch = in.readLong();
        int n = in.readUnsignedShort();
        if (n > 255) {
            throw new IOException(n + " members in a view");
        }
        SortedMap<Integer, View.Member> members = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            int node = in.readUnsignedByte();
            if (node == 0) {
                throw new IOException("node 0 in a view");
            }
            members.put(node, new View.Member(node, in.readLong(), in.readLong()));
        }
        return new View(epoch, members);
    }

    // ---- primitives ------------------------------------------------------------------

    private static void endpoint(DataOutputStream o, RaftEndpoint e) throws IOException {
        o.writeByte(((NodeEndpoint) e).node());
    }

    private static RaftEndpoint endpoint(DataInputStream in) throws IOException {
        int node = in.readUnsignedByte();
        if (node == 0) {
            throw new IOException("endpoint node 0");
        }
        return new NodeEndpoint(node);
    }

    private static void endpoints(DataOutputStream o, Collection<RaftEndpoint> endpoints) throws IOException {
        o.writeShort(endpoints.size());
        for (RaftEndpoint e : endpoints) {
            endpoint(o, e);
        }
    }

    private static List<RaftEndpoint> endpoints(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        if (n > 255) {
            throw new IOException(n + " endpoints");
        }
        List<RaftEndpoint> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(endpoint(in));
        }
        return out;
    }

    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_COUNT) {
            throw new IOException("count " + n + " out of range");
        }
        return n;
    }

    private static void version(DataInputStream in) throws IOException {
        int v = in.readUnsignedByte();
        if (v != VERSION) {
            throw new IOException("version " + v + ", this node speaks " + VERSION);
        }
    }

    private static <E extends Enum<E>> E tag(DataInputStream in, E[] values) throws IOException {
        int t = in.readUnsignedByte();
        if (t >= values.length) {
            throw new IOException("unknown " + values[0].getDeclaringClass().getSimpleName() + " " + t);
        }
        return values[t];
    }

    interface Writer {
        void write(DataOutputStream o) throws IOException;
    }

    interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    static byte[] write(Writer w) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream o = new DataOutputStream(bytes)) {
            w.write(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /** Reads a whole payload: a short, long or otherwise malformed one is an IllegalArgumentException. */
    static <T> T read(byte[] payload, Reader<T> r) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            T value = r.read(in);
            if (in.available() > 0) {
                throw new IOException(in.available() + " bytes left over");
            }
            return value;
        } catch (EOFException e) {
            throw new IllegalArgumentException("truncated membership message (" + payload.length + " bytes)");
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("malformed membership message: " + e.getMessage(), e);
        }
    }
}
