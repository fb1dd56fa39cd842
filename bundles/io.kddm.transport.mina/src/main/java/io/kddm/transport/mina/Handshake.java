package io.kddm.transport.mina;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual challenge-response over the cluster secret.
 * <pre>
 *   initiator                                acceptor
 *   HELLO(id, incarnation, address, nI)  --&gt;
 *                                        &lt;--  HELLO(id, incarnation, address, nA, proofA)
 *   checks proofA; AUTH(proofI)          --&gt;
 *                                        &lt;--  checks proofI; AUTH_OK
 * </pre>
 * Each proof is an HMAC-SHA256, under the secret, of a role label and the whole
 * transcript (both nonces, ids and incarnations): a proof cannot be replayed on
 * another connection (fresh nonces) nor reflected to the other role (labels).
 * Whoever finds a bad proof sends REFUSE and closes.
 */
final class Handshake {
    static final int NONCE_BYTES = 32;
    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] ACCEPTOR = "kddm/1 acceptor".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INITIATOR = "kddm/1 initiator".getBytes(StandardCharsets.US_ASCII);

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    Handshake(byte[] secret) {
        if (secret.length == 0) {
            throw new IllegalArgumentException("the cluster secret is empty");
        }
        this.key = new SecretKeySpec(secret, ALGORITHM);
    }

    byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        random.nextBytes(n);
        return n;
    }

    byte[] acceptorProof(Hello initiator, Hello acceptor) {
        return mac(ACCEPTOR, initiator, acceptor);
    }

    byte[] initiatorProof(Hello initiator, Hello acceptor) {
        return mac(INITIATOR, initiator, acceptor);
    }

    static boolean matches(byte[] expected, byte[] actual) {
        return MessageDigest.isEqual(expected, actual);
    }

    private byte[] mac(byte[] label, Hello initiator, Hello acceptor) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            mac.update(label);
            mac.update(initiator.nonce());
            mac.update(acceptor.nonce());
            mac.update(ByteBuffer.allocate(20)
                    .putShort((short) initiator.node()).putShort((short) acceptor.node())
                    .putLong(initiator.incarnation()).putLong(acceptor.incarnation()).array());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
