package io.kddm.web.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.OperationTimeoutException;
import io.kddm.api.set.SetIds;

/**
 * The board: one well-known kDDM set through which the pages of all nodes see
 * each other, with no protocol of their own. Node N homes two objects of it:
 * its report ({@link NodeReport}, grabbed and rewritten by N every round, read
 * by the others with a get) and its watch list (the objects a page on N asks
 * about, which every node reads and reports on).
 */
final class Board {
    /** The board's set id: well-known (node bits 0), "WEB" in its number. */
    static final long SET = SetIds.of(0, 0x57_4542_0000_01L);
    private static final int REPORT = 1;
    private static final int WATCH = 2;

    private final Kddm kddm;
    private final Duration wait;
    /** Gets and grabs this board made, so that reports can leave them out of a node's activity. */
    private final LongAdder operations = new LongAdder();
    private volatile KddmSet set;

    /** @param wait how long one get or grab of the board may wait (a node that does not answer is skipped) */
    Board(Kddm kddm, Duration wait) {
        this.kddm = kddm;
        this.wait = wait;
    }

    static long reportObject(int node) {
        return ((long) node << 24) | REPORT;
    }

    static long watchObject(int node) {
        return ((long) node << 24) | WATCH;
    }

    private KddmSet set() {
        KddmSet s = set;
        if (s == null) {
            s = kddm.wellKnown(SET, BoardFamily.NAME);
            set = s;
        }
        return s;
    }

    /** Gets and grabs made by this board so far. */
    long operations() {
        return operations.sum();
    }

    /** Publishes this node's report. */
    void publish(NodeReport report) {
        write(reportObject(kddm.localNode()), report.encode());
    }

    /** Node {@code node}'s last report, or empty if it never published one. */
    Optional<NodeReport> report(int node) {
        return Optional.ofNullable(NodeReport.decode(read(reportObject(node))));
    }

    /** Publishes the objects the page of this node asks about. */
    void watch(List<ObjectRef> refs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeShort(refs.size());
            for (ObjectRef r : refs) {
                out.writeLong(r.setId());
                out.writeInt((int) r.objectId());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        write(watchObject(kddm.localNode()), bytes.toByteArray());
    }

    /** The objects the page of {@code node} asks about. */
    List<ObjectRef> watched(int node) {
        byte[] v = read(watchObject(node));
        List<ObjectRef> refs = new ArrayList<>();
        if (v.length == 0) {
            return refs;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(v))) {
            int n = in.readUnsignedShort();
            for (int i = 0; i < n; i++) {
                refs.add(new ObjectRef(in.readLong(), Integer.toUnsignedLong(in.readInt())));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated watch list of node " + node, e);
        }
        return refs;
    }

    private byte[] read(long object) {
        operations.increment();
        Optional<ObjectHandle> h = set().tryGet(object, wait);
        if (h.isEmpty()) {
            throw new OperationTimeoutException("board object " + Long.toHexString(object) + " not read within "
                    + wait.toMillis() + " ms");
        }
        try (ObjectHandle got = h.get()) {
            return got.value();
        }
    }

    private void write(long object, byte[] value) {
        operations.increment();
        Optional<ObjectHandle> h = set().tryGrab(object, wait);
        if (h.isEmpty()) {
            throw new OperationTimeoutException("board object " + Long.toHexString(object) + " not grabbed within "
                    + wait.toMillis() + " ms");
        }
        try (ObjectHandle held = h.get()) {
            held.value(value);
        }
    }
}
