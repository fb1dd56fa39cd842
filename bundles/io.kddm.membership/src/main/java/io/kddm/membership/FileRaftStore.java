package io.kddm.membership;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

import io.microraft.RaftEndpoint;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.log.SnapshotEntry;
import io.microraft.model.persistence.RaftEndpointPersistentState;
import io.microraft.model.persistence.RaftTermPersistentState;
import io.microraft.persistence.RaftStore;
import io.microraft.persistence.RestoredRaftState;

/**
 * A voter's Raft state on disk, one file: its endpoint, the initial voters, its
 * term and vote, the last snapshot (the view) and the log since. The log of
 * views is small (a snapshot every few dozen changes), so every flush rewrites
 * the whole file: a temporary file, forced, renamed over the old one. A voter
 * that restarts therefore keeps its term, vote and log, and can never vote twice
 * in a term or forget a view it acknowledged.
 */
final class FileRaftStore implements RaftStore {
    private static final int MAGIC = 0x4b52_4654; // "KRFT"
    private static final int VERSION = 1;

    private final Path file;
    private final RaftCodec codec;
    private RaftEndpointPersistentState endpoint;
    private RaftGroupMembersView initialMembers;
    private RaftTermPersistentState term;
    private final TreeMap<Long, LogEntry> log = new TreeMap<>();
    /** Snapshot chunks by snapshot index, then chunk index. */
    private final TreeMap<Long, TreeMap<Integer, SnapshotChunk>> chunks = new TreeMap<>();

    FileRaftStore(Path file, RaftCodec codec) {
        this.file = file;
        this.codec = codec;
    }

    /**
     * The state stored in {@code file}, or null if there is none.
     *
     * @throws IOException naming the file if it cannot be read or is damaged
     */
    RestoredRaftState restore() throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length < 12 || b.getInt() != MAGIC || b.getInt() != VERSION) {
            throw new IOException(file + " is not a Raft state file of this version");
        }
        int crc = b.getInt();
        CRC32 check = new CRC32();
        check.update(bytes, 12, bytes.length - 12);
        if ((int) check.getValue() != crc) {
            throw new IOException(file + " is damaged (checksum mismatch)");
        }
        byte[] body = new byte[bytes.length - 12];
        b.get(body);
        try {
            RaftCodec.read(body, this::readBody);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is damaged: " + e.getMessage(), e);
        }
        if (endpoint == null || initialMembers == null) {
            throw new IOException(file + " holds no endpoint or initial voters");
        }
        SnapshotEntry snapshot = completeSnapshot();
        List<LogEntry> entries = new ArrayList<>(snapshot == null ? log.values()
                : log.tailMap(snapshot.getIndex(), false).values());
        return new RestoredRaftState(endpoint, initialMembers, term != null ? term
                : codec.factory().createRaftTermPersistentStateBuilder().setTerm(0).setVotedFor(null).build(),
                snapshot, entries);
    }

    /** The initial voters recorded, without restoring the rest (null if none is stored). */
    List<Integer> storedVoters() throws IOException {
        if (restore() == null) {
            return null;
        }
        List<Integer> out = new ArrayList<>();
        initialMembers.getVotingMembers().forEach(e -> out.add(((NodeEndpoint) e).node()));
        return out;
    }

    private SnapshotEntry completeSnapshot() {
        for (Map.Entry<Long, TreeMap<Integer, SnapshotChunk>> s : chunks.descendingMap().entrySet()) {
            SnapshotChunk first = s.getValue().firstEntry().getValue();
            if (s.getValue().size() == first.getSnapshotChunkCount()) {
                return codec.factory().createSnapshotEntryBuilder().setIndex(s.getKey()).setTerm(first.getTerm())
                        .setSnapshotChunks(new ArrayList<>(s.getValue().values()))
                        .setGroupMembersView(first.getGroupMembersView()).build();
            }
        }
        return null;
    }

    @Override
    public synchronized void persistAndFlushLocalEndpoint(RaftEndpointPersistentState state) throws IOException {
        endpoint = state;
        flush();
    }

    @Override
    public synchronized void persistAndFlushInitialGroupMembers(RaftGroupMembersView members) throws IOException {
        initialMembers = members;
        flush();
    }

    @Override
    public synchronized void persistAndFlushTerm(RaftTermPersistentState state) throws IOException {
        term = state;
        flush();
    }

    @Override
    public synchronized void persistLogEntries(List<LogEntry> entries) {
        entries.forEach(e -> log.put(e.getIndex(), e));
    }

    @Override
    public synchronized void persistSnapshotChunk(SnapshotChunk chunk) {
        chunks.computeIfAbsent(chunk.getIndex(), k -> new TreeMap<>()).put(chunk.getSnapshotChunkIndex(), chunk);
        SnapshotEntry complete = completeSnapshot();
        if (complete != null) {
            chunks.headMap(complete.getIndex(), false).clear(); // older snapshots are no longer needed
        }
    }

    @Override
    public synchronized void truncateLogEntriesFrom(long index) {
        log.tailMap(index, true).clear();
    }

    @Override
    public synchronized void truncateLogEntriesUntil(long index) {
        log.headMap(index, true).clear();
    }

    @Override
    public synchronized void deleteSnapshotChunks(long index, int count) {
        chunks.remove(index);
    }

    @Override
    public synchronized void flush() throws IOException {
        byte[] body = RaftCodec.write(this::writeBody);
        CRC32 crc = new CRC32();
        crc.update(body);
        ByteBuffer b = ByteBuffer.allocate(12 + body.length).putInt(MAGIC).putInt(VERSION).putInt((int) crc.getValue())
                .put(body);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            b.flip();
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private void writeBody(DataOutputStream o) throws IOException {
        o.writeBoolean(endpoint != null);
        if (endpoint != null) {
            o.writeByte(((NodeEndpoint) endpoint.getLocalEndpoint()).node());
            o.writeBoolean(endpoint.isVoting());
        }
        o.writeBoolean(initialMembers != null);
        if (initialMembers != null) {
            codec.members(o, initialMembers);
        }
        o.writeBoolean(term != null);
        if (term != null) {
            o.writeInt(term.getTerm());
            RaftEndpoint voted = term.getVotedFor();
            o.writeByte(voted == null ? 0 : ((NodeEndpoint) voted).node());
        }
        List<SnapshotChunk> all = new ArrayList<>();
        chunks.values().forEach(c -> all.addAll(c.values()));
        o.writeInt(all.size());
        for (SnapshotChunk c : all) {
            codec.chunk(o, c);
        }
        o.writeInt(log.size());
        for (LogEntry e : log.values()) {
            codec.entry(o, e);
        }
    }

    private Void readBody(DataInputStream in) throws IOException {
        if (in.readBoolean()) {
            endpoint = codec.factory().createRaftEndpointPersistentStateBuilder()
                    .setLocalEndpoint(new NodeEndpoint(in.readUnsignedByte())).setVoting(in.readBoolean()).build();
        }
        if (in.readBoolean()) {
            initialMembers = codec.members(in);
        }
        if (in.readBoolean()) {
            int t = in.readInt();
            int voted = in.readUnsignedByte();
            term = codec.factory().createRaftTermPersistentStateBuilder().setTerm(t)
                    .setVotedFor(voted == 0 ? null : new NodeEndpoint(voted)).build();
        }
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            persistSnapshotChunk(codec.chunk(in));
        }
        n = in.readInt();
        for (int i = 0; i < n; i++) {
            LogEntry e = codec.entry(in);
            log.put(e.getIndex(), e);
        }
        return null;
    }
}
