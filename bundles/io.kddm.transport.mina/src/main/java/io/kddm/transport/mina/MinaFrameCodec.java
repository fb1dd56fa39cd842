package io.kddm.transport.mina;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.codec.CumulativeProtocolDecoder;
import org.apache.mina.filter.codec.ProtocolCodecFactory;
import org.apache.mina.filter.codec.ProtocolDecoder;
import org.apache.mina.filter.codec.ProtocolDecoderException;
import org.apache.mina.filter.codec.ProtocolDecoderOutput;
import org.apache.mina.filter.codec.ProtocolEncoder;
import org.apache.mina.filter.codec.ProtocolEncoderAdapter;
import org.apache.mina.filter.codec.ProtocolEncoderOutput;

/** Adapts {@link FrameCodec} to MINA's codec filter. */
final class MinaFrameCodec implements ProtocolCodecFactory {
    private final FrameCodec codec;
    private final ProtocolEncoder encoder = new ProtocolEncoderAdapter() {
        @Override
        public void encode(IoSession session, Object message, ProtocolEncoderOutput out) {
            Frame frame = (Frame) message;
            IoBuffer buffer = IoBuffer.allocate(FrameCodec.encodedSize(frame.payload().length), false);
            codec.encode(frame, buffer.buf());
            buffer.flip();
            out.write(buffer);
        }
    };
    private final ProtocolDecoder decoder = new CumulativeProtocolDecoder() {
        @Override
        protected boolean doDecode(IoSession session, IoBuffer in, ProtocolDecoderOutput out)
                throws ProtocolDecoderException {
            try {
                Frame frame = codec.decode(in.buf());
                if (frame == null) {
                    return false;
                }
                out.write(frame);
                return true;
            } catch (FrameException e) {
                throw new ProtocolDecoderException(e.getMessage());
            }
        }
    };

    MinaFrameCodec(FrameCodec codec) {
        this.codec = codec;
    }

    @Override
    public ProtocolEncoder getEncoder(IoSession session) {
        return encoder;
    }

    @Override
    public ProtocolDecoder getDecoder(IoSession session) {
        return decoder;
    }
}
