package io.kddm.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.api.membership.View;
import io.microraft.model.RaftModelFactory;
import io.microraft.persistence.RestoredRaftState;

/** A voter's Raft state survives a restart; a damaged file is refused naming it. */
class FileRaftStoreTest {
    @TempDir
    Path dir;
    private final RaftCodec codec = new RaftCodec();
    private final RaftModelFactory f = codec.factory();

    private FileRaftStore filled(Path file) throws IOException {
        FileRaftStore s = new FileRaftStore(file, codec);
        var one = new NodeEndpoint(1);
        var two = new NodeEndpoint(2);
        s.persistAndFlushLocalEndpoint(f.createRaftEndpointPersistentStateBuilder().setLocalEndpoint(one)
                .setVoting(true).build());
        var members = f.createRaftGroupMembersViewBuilder().setLogIndex(0).setMembers(List.of(one, two))
                .setVotingMembers(List.of(one, two)).build();
        s.persistAndFlushInitialGroupMembers(members);
        s.persistAndFlushTerm(f.createRaftTermPersistentStateBuilder().setTerm(4).setVotedFor(two).build());
        for (long i = 1; i <= 5; i++) {
            s.persistLogEntries(List.of(f.createLogEntryBuilder().setIndex(i).setTerm(4)
                    .setOperation(new ViewOp(ViewOp.Kind.JOIN, (int) i, 100 + i)).build()));
        }
        s.truncateLogEntriesFrom(5); // a conflicting entry went
        s.persistSnapshotChunk(f.createSnapshotChunkBuilder().setIndex(2).setTerm(4).setOperation(View.NONE)
                .setSnapshotChunkIndex(0).setSnapshotChunkCount(1).setGroupMembersView(members).build());
        s.truncateLogEntriesUntil(2);
        s.flush();
        return s;
    }

    @Test
    void whatWasFlushedIsRestored() throws IOException {
        Path file = dir.resolve("raft.state");
        filled(file);
        RestoredRaftState r = new FileRaftStore(file, codec).restore();
        assertEquals(1, ((NodeEndpoint) r.getLocalEndpointPersistentState().getLocalEndpoint()).node());
        assertEquals(4, r.getTermPersistentState().getTerm());
        assertEquals(2, ((NodeEndpoint) r.getTermPersistentState().getVotedFor()).node());
        assertEquals(2, r.getSnapshotEntry().getIndex());
        assertEquals(List.of(3L, 4L), r.getLogEntries().stream().map(e -> e.getIndex()).toList());
        assertEquals(new ViewOp(ViewOp.Kind.JOIN, 4, 104), r.getLogEntries().get(1).getOperation());
        assertEquals(List.of(1, 2), new FileRaftStore(file, codec).storedVoters());
    }

    @Test
    void noFileIsNoState() throws IOException {
        assertNull(new FileRaftStore(dir.resolve("none"), codec).restore());
    }

    @Test
    void aDamagedFileIsRefusedNamingIt() throws IOException {
        Path file = dir.resolve("raft.state");
        filled(file);
        byte[] bytes = Files.readAllBytes(file);
        for (int i = 0; i < bytes.length; i += 7) {
            byte[] bad = bytes.clone();
            bad[i] ^= 0x10;
            Files.write(file, bad);
            IOException e = assertThrows(IOException.class, () -> new FileRaftStore(file, codec).restore());
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThrows(IOException.class, () -> new FileRaftStore(file, codec).restore());
    }
}
