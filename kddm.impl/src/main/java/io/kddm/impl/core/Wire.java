package io.kddm.impl.core;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import io.kddm.api.transport.MessageTypes;

/**
 * The kDDM protocol messages. One layout for all of them, big-endian:
 * {@code epoch:int64, setId:int64, objectId:int32, node:uint8, count:int32, bytes};
 * each kind says what {@code node}, {@code count} and {@code bytes} mean. The
 * epoch is the sender's installed view when it sent the message (0: none), so
 * that a receiver takes messages only from the members of its view, and never
 * before it has installed the view they were sent in.
 */
final class Wire {
    /** Message types, one per kind (transport type = KDDM_FIRST + ordinal). */
    enum Kind {
        /** requester to home: a read copy, please ({@code node} = requester). */
        GET_REQ,
        /** requester to home: the ownership, please. */
        GRAB_REQ,
        /** home to owner: serve a read copy to {@code node}. */
        FWD_GET,
        /** home to owner: hand the ownership to {@code node}. */
        FWD_GRAB,
        /** home to requester: nobody has it; make it (first touch), its version going on from {@code bytes} (the removed one's). */
        TOUCH,
        /** owner to requester: a read copy ({@code bytes}: the object, then its version). */
        COPY,
        /** owner to requester: the ownership ({@code bytes}: the object, its version); acks to wait for come from the nodes listed in the trailer. */
        OWNERSHIP,
        /** owner to copy holder: drop your copy and ack to {@code node}. */
        INV,
        /** copy holder to new owner: dropped. */
        INV_ACK,
        /** requester to home: served; the owner is now {@code node} (0: unchanged). */
        DONE,
        /** home to requester: the object was lost with a dead node ({@code bytes} = reason). */
        LOST,
        /** owner to home: the object was removed cluster-wide ({@code bytes}: its last version). */
        REMOVED,
        /**
         * Never sent (the number stays so that later kinds keep theirs). A copy holder
         * used to tell the owner it flushed its copy, but that notice travels on another
         * channel than the home's forwards and can overtake a newer copy of the same
         * holder: the owner then wrote without invalidating a live copy. A flushed copy
         * now stays in the copyset, and its next invalidation is simply acknowledged.
         */
        DROPPED,
        /** Never sent; the number is reserved. */
        HANDOFF_OK,
        /** owner to home: I want to flush the object (hand it off). */
        HANDOFF_REQ,
        /** creator to all: a new set ({@code bytes} = family and nodes). */
        SET_CREATE,
        /** anyone to creator: describe this set. */
        SET_LOOKUP,
        /** creator to all: the set is gone. */
        SET_DESTROY,
        /** a node to the home: your forward reached me, but I do not own the object. */
        NOT_OWNER,
        /** owner to home: I want to write the object back to its store and drop it. */
        WRITEBACK_REQ,
        /** home to owner, when the owner's write-back request is the home's current one: go ahead. */
        FWD_WRITEBACK,
        /** owner to home: store these {@code bytes} (the object) and forget me as owner; I dropped it. */
        WRITTEN_BACK,
        /** a request, holder to home: write these {@code bytes} (the object) to the store, or delete it if {@code count} is 1; replied when durable. */
        SYNC,
        /** a request, anyone to home: who owns the object? Replied with the owner's id, a byte (nothing: nobody). */
        WHO_OWNS,
        /** a request, anyone to owner: who holds copies? Replied with the owner then its copyset, a byte each (nothing: not the owner). */
        WHO_HOLDS,
        /**
         * home to requester: the set is not open here (yet: a well-known set whose family
         * has not registered, a set whose creation has not arrived); nothing was recorded,
         * ask again later ({@code bytes} = reason).
         */
        UNKNOWN_SET,
        /** home to former owner: the handoff of the object (a flush, a leave) is complete: the home knows its new owner. */
        HANDED_OFF,
        /**
         * a request, owner to backup target: keep {@code bytes} (a version, then the object) as the
         * object's backup, or drop its backup if {@code count} is 1 (the object was removed); replied when kept.
         */
        BACKUP,
        /**
         * a request, home to survivor, when the object's owner {@code node} died: what do you hold of it?
         * Replied with claims: kind, version, length, bytes each (an incoming ownership is given up).
         */
        CLAIM,
        /**
         * a request, new acting home to member: what do you hold of the objects of the set whose
         * home is {@code node}? Replied with, per object: its id, a length, then CLAIM's claims.
         */
        CLAIMS,
        /**
         * a request, acting home to the other store nodes of a replicated store: store these
         * {@code bytes} (the object) as {@code count} says (SYNC's kinds); replied once stored.
         */
        STORE,
        /**
         * a request, a node that joined to a member: in which sets did I miss stores you made?
         * Replied with their ids, 8 bytes each.
         */
        MISSED,
        /**
         * a request, any node to the home {@code objectId}: heal your other store nodes in full
         * ({@code node}: the asker, one of them); replied with the store nodes compared, the
         * objects checked and repaired.
         */
        HEAL_FULL,
        /**
         * a request, acting home to a store node: which objects homed on {@code objectId} do you
         * store? Replied with, per set: its id, a count, the object ids, 8 bytes each.
         */
        STORED,
        /**
         * a request, member to member, of the crash ledger ({@link CrashLedger}), {@code count} saying which:
         * 0 I left in order; 1 I am fully replicated in the view of the message's epoch; 2 home {@code node} of
         * the set is uncertain ({@code bytes}: why); 3 it is certain again (an operator cleared it). Replied
         * with nothing.
         */
        LEDGER;

        private static final Kind[] ALL = values();

        int type() {
            return MessageTypes.KDDM_FIRST + ordinal();
        }

        static Kind of(int type) {
            int i = type - MessageTypes.KDDM_FIRST;
            if (i < 0 || i >= ALL.length) {
                throw new IllegalArgumentException("not a kDDM message type: " + type);
            }
            return ALL[i];
        }

        static int count() {
            return ALL.length;
        }
    }

    private static final int HEADER = 8 + 8 + 4 + 1 + 4;
    static final byte[] EMPTY = new byte[0];

    record Message(Kind kind, long epoch, long setId, long objectId, int node, int count, byte[] bytes) {
    }

    private Wire() {
    }

    /** A message outside of any view (epoch 0): set messages, tests. */
    static byte[] encode(long setId, long objectId, int node, int count, byte[] bytes) {
        return encode(0, setId, objectId, node, count, bytes);
    }

    static byte[] encode(long epoch, long setId, long objectId, int node, int count, byte[] bytes) {
        byte[] body = bytes == null ? EMPTY : bytes;
        return ByteBuffer.allocate(HEADER + body.length).putLong(epoch).putLong(setId).putInt((int) objectId)
                .put((byte) node).putInt(count).put(body).array();
    }

    static Message decode(int type, byte[] payload) {
        try {
            ByteBuffer b = ByteBuffer.wrap(payload);
            long epoch = b.getLong();
            long setId = b.getLong();
            long objectId = Integer.toUnsignedLong(b.getInt());
            int node = Byte.toUnsignedInt(b.get());
            int count = b.getInt();
            byte[] bytes = b.hasRemaining() ? new byte[b.remaining()] : EMPTY;
            b.get(bytes);
            return new Message(Kind.of(type), epoch, setId, objectId, node, count, bytes);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated kDDM message of type " + type);
        }
    }

    /** OWNERSHIP's bytes: the object, its version, then the nodes whose acks the new owner waits for. */
    static byte[] ownership(byte[] value, Version version, int[] ackers) {
        ByteBuffer b = ByteBuffer.allocate(value.length + Version.BYTES + ackers.length);
        version.put(b.put(value));
        for (int n : ackers) {
            b.put((byte) n);
        }
        return b.array();
    }

    /** COPY's bytes: the object, then its version. */
    static byte[] copy(byte[] value, Version version) {
        return version.put(ByteBuffer.allocate(value.length + Version.BYTES).put(value)).array();
    }

    /** A message's value and the version its bytes end with (null: the message carries none). */
    record Versioned(byte[] value, Version version) {
    }

    /**
     * {@code bytes} as a value, then its version when {@code versioned} (a count flagged
     * {@code StoreReplicas.VERSIONED}: SYNC, WRITTEN_BACK, STORE; S13, S16).
     *
     * @throws IllegalArgumentException if flagged and shorter than a version
     */
    static Versioned versioned(byte[] bytes, boolean versioned) {
        if (!versioned) {
            return new Versioned(bytes, null);
        }
        int length = bytes.length - Version.BYTES;
        Version v = version(bytes, length);
        return new Versioned(Arrays.copyOf(bytes, length), v);
    }

    /** The version at {@code at} in a message's bytes. */
    static Version version(byte[] bytes, int at) {
        if (at < 0 || bytes.length - at < Version.BYTES) {
            throw new IllegalArgumentException("no version at byte " + at + " of " + bytes.length);
        }
        return Version.get(ByteBuffer.wrap(bytes, at, Version.BYTES));
    }
}
