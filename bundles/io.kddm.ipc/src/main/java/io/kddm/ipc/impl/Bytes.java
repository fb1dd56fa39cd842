package io.kddm.ipc.impl;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The plain big-endian encoding of the IPC objects' bytes (never Java serialization). */
final class Bytes {
    private Bytes() {
    }

    /** A writer of one object's bytes. */
    static final class Out {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        private final DataOutputStream out = new DataOutputStream(bytes);

        Out i(int v) {
            try {
                out.writeInt(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Out l(long v) {
            try {
                out.writeLong(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Out b(byte[] v) {
            i(v.length);
            try {
                out.write(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        byte[] done() {
            return bytes.toByteArray();
        }
    }

    /** A reader of one object's bytes; a short or damaged object fails with IllegalStateException. */
    static final class In {
        private final DataInputStream in;

        In(byte[] value) {
            in = new DataInputStream(new java.io.ByteArrayInputStream(value));
        }

        int i() {
            try {
                return in.readInt();
            } catch (IOException e) {
                throw new IllegalStateException("IPC object cut short", e);
            }
        }

        long l() {
            try {
                return in.readLong();
            } catch (IOException e) {
                throw new IllegalStateException("IPC object cut short", e);
            }
        }

        byte[] b() {
            int n = i();
            if (n < 0 || n > (16 << 20)) {
                throw new IllegalStateException("IPC object damaged: a length of " + n);
            }
            byte[] v = new byte[n];
            try {
                in.readFully(v);
            } catch (IOException e) {
                throw new IllegalStateException("IPC object cut short", e);
            }
            return v;
        }
    }
}
