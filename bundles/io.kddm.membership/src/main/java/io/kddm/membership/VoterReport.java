package io.kddm.membership;

import java.nio.ByteBuffer;

/**
 * What a voter says in its answer to a heartbeat, besides that it is alive.
 *
 * @param granted      whether it grants the asking node a lease
 * @param appliedEpoch the newest view it applied
 * @param safeEpoch    the newest view whose exclusions are safe to act upon
 * @param leader       the Raft leader it knows, 0 if none
 */
record VoterReport(boolean granted, long appliedEpoch, long safeEpoch, int leader) {
    /** Bytes of a heartbeat: the sender's incarnation and installed epoch. */
    static final int PING = 8 + 8;
    private static final int ANSWER = 8 + 1 + 1 + 8 + 8 + 1;

    /** A heartbeat's answer: the answering node's incarnation, then its report if it votes ({@code null}). */
    static byte[] answer(long incarnation, VoterReport report) {
        ByteBuffer b = ByteBuffer.allocate(ANSWER).putLong(incarnation);
        if (report == null) {
            return b.put((byte) 0).array();
        }
        return b.put((byte) 1).put((byte) (report.granted ? 1 : 0)).putLong(report.appliedEpoch)
                .putLong(report.safeEpoch).put((byte) report.leader).array();
    }

    /** The report in an answer read past its incarnation; {@code null} from a node that does not vote. */
    static VoterReport read(ByteBuffer answer) {
        if (!answer.hasRemaining() || answer.get() != 1) {
            return null;
        }
        if (answer.remaining() < 1 + 8 + 8 + 1) {
            throw new IllegalArgumentException("a voter's report of " + answer.remaining() + " bytes");
        }
        return new VoterReport(answer.get() == 1, answer.getLong(), answer.getLong(), Byte.toUnsignedInt(answer.get()));
    }
}
