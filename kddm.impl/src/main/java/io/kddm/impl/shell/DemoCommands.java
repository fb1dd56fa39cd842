package io.kddm.impl.shell;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.SetIds;

/** {@code kddm:write}, {@code kddm:read}, {@code kddm:incr}: exercise coherence from the shell. */
@Component(service = DemoCommands.class, property = {"osgi.command.scope=kddm", "osgi.command.function=write",
    "osgi.command.function=read", "osgi.command.function=incr"})
public final class DemoCommands {
    private final Kddm kddm;

    @Activate
    public DemoCommands(@Reference Kddm kddm) {
        this.kddm = kddm;
    }

    private KddmSet set(String id) {
        return kddm.lookup(SetIds.parse(id));
    }

    @Descriptor("grabs an object and sets it to a text (UTF-8)")
    public String write(@Descriptor("set id, NODE:NUMBER") String set, @Descriptor("object id") long object,
            @Descriptor("the text") String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try (ObjectHandle h = set(set).grab(object)) { // (the core checks the object id)
            h.value(bytes);
        }
        return "wrote " + bytes.length + " bytes";
    }

    @Descriptor("gets an object and shows it: printable UTF-8 text as text, else an 8-byte counter as a number, "
            + "else hex")
    public String read(@Descriptor("set id, NODE:NUMBER") String set, @Descriptor("object id") long object) {
        byte[] v;
        try (ObjectHandle h = set(set).get(object)) {
            v = h.value();
        }
        String text = utf8(v);
        if (text != null && text.codePoints().noneMatch(Character::isISOControl)) {
            return text; // kddm:write's text, even of 8 bytes
        }
        if (Counter.is(v)) {
            return String.valueOf(Counter.decode(v)); // a counter has NUL bytes unless it is huge
        }
        return "0x" + HexFormat.of().formatHex(v);
    }

    private static String utf8(byte[] v) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(v)).toString();
        } catch (CharacterCodingException notText) {
            return null;
        }
    }

    @Descriptor("grabs a 64-bit counter object, adds DELTA, puts it back; --times repeats; returns the last value")
    public long incr(@Parameter(names = {"-n", "--times"}, absentValue = "1") int times,
            @Descriptor("print every value an increment returned, as it returns (what a node killed meanwhile "
                    + "had acknowledged)") @Parameter(names = "--each", presentValue = "true", absentValue = "false")
            boolean each,
            @Descriptor("set id, NODE:NUMBER") String set, @Descriptor("object id") long object,
            @Descriptor("amount to add") long delta) {
        if (times < 1) {
            throw new IllegalArgumentException("--times must be at least 1");
        }
        KddmSet s = set(set);
        long value = 0;
        for (int i = 0; i < times; i++) {
            value = CounterOp.ADD.apply(s, object, delta);
            if (each) {
                System.out.println(value); // the session's stream, flushed: it is all a kill -9 leaves
                System.out.flush();
            }
        }
        return value;
    }
}
