package io.kddm.web.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import io.kddm.api.set.ObjectStatus;

/**
 * What one node publishes on the board every round: its activity over the
 * last round and the state there of the objects some page asks about.
 *
 * @param node       the node
 * @param round      its round number (a new one each publication)
 * @param time       when it was made, milliseconds since the epoch (the nodes' clocks)
 * @param seconds    the length of the round it describes
 * @param operations gets and grabs of the round, the board's own not counted
 * @param getP50     median get latency of the round, nanoseconds (0: none)
 * @param getP99     99th percentile of the gets
 * @param grabP50    median grab latency
 * @param grabP99    99th percentile of the grabs
 * @param gets       gets since the node started (the board's included)
 * @param grabs      grabs since the node started
 * @param timeouts   operations timed out since it started
 * @param bytesHeld  bytes of the copies it holds
 * @param objects    the asked-about objects as it sees them
 */
record NodeReport(int node, long round, long time, double seconds, long operations, long getP50, long getP99,
        long grabP50, long grabP99, long gets, long grabs, long timeouts, long bytesHeld, List<ObjectRow> objects) {

    private static final int FORMAT = 1;

    NodeReport {
        objects = List.copyOf(objects);
    }

    /**
     * One object on one node.
     *
     * @param ref    the object
     * @param open   whether the node has the set open (if not, {@code status} is null)
     * @param status its state there
     */
    record ObjectRow(ObjectRef ref, boolean open, ObjectStatus status) {
    }

    ObjectRow row(ObjectRef ref) {
        return objects.stream().filter(r -> r.ref().equals(ref)).findFirst().orElse(null);
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeByte(node);
            out.writeLong(round);
            out.writeLong(time);
            out.writeDouble(seconds);
            for (long v : new long[] {operations, getP50, getP99, grabP50, grabP99, gets, grabs, timeouts, bytesHeld}) {
                out.writeLong(v);
            }
            out.writeShort(objects.size());
            for (ObjectRow r : objects) {
                out.writeLong(r.ref().setId());
                out.writeInt((int) r.ref().objectId());
                out.writeBoolean(r.open());
                if (r.open()) {
                    ObjectStatus s = r.status();
                    out.writeUTF(s.state());
                    out.writeInt(s.bytes());
                    out.writeUTF(s.version());
                    out.writeShort(s.copyset().size());
                    for (int n : s.copyset()) {
                        out.writeByte(n);
                    }
                    out.writeInt(s.readers());
                    out.writeInt(s.writers());
                    out.writeInt(s.queued());
                    out.writeShort(s.home());
                    out.writeUTF(s.homeState() == null ? "" : s.homeState());
                    out.writeShort(s.owner());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The report in {@code bytes}; empty bytes (an object never written) are no report: null. */
    static NodeReport decode(byte[] bytes) {
        if (bytes.length == 0) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("report format " + format + ", not " + FORMAT);
            }
            int node = in.readUnsignedByte();
            long round = in.readLong();
            long time = in.readLong();
            double seconds = in.readDouble();
            long[] v = new long[9];
            for (int i = 0; i < v.length; i++) {
                v[i] = in.readLong();
            }
            int count = in.readUnsignedShort();
            List<ObjectRow> rows = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ObjectRef ref = new ObjectRef(in.readLong(), Integer.toUnsignedLong(in.readInt()));
                if (!in.readBoolean()) {
                    rows.add(new ObjectRow(ref, false, null));
                    continue;
                }
                String state = in.readUTF();
                int size = in.readInt();
                String version = in.readUTF();
                int copies = in.readUnsignedShort();
                List<Integer> copyset = new ArrayList<>(copies);
                for (int c = 0; c < copies; c++) {
                    copyset.add(in.readUnsignedByte());
                }
                int readers = in.readInt();
                int writers = in.readInt();
                int queued = in.readInt();
                int home = in.readShort();
                String homeState = in.readUTF();
                int owner = in.readShort();
                rows.add(new ObjectRow(ref, true, new ObjectStatus(ref.objectId(), state, size, version, copyset,
                        readers, writers, queued, home, homeState.isEmpty() ? null : homeState, owner)));
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException(in.available() + " bytes after the report");
            }
            return new NodeReport(node, round, time, seconds, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8],
                    rows);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated report (" + bytes.length + " bytes)", e);
        }
    }
}
