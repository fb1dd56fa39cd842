package io.kddm.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void nestedDocumentsParseBackToWhatWasWritten() {
        String text = new Json().object().put("a", 1).put("b", "x\"y\\z\n\u0001<script>").put("c", true)
                .put("d", List.of(1, 2, 3)).put("e", 1.5).put("nan", Double.NaN).key("f").array().object()
                .put("g", (String) null).endObject().array().endArray().endArray().key("h").object().endObject()
                .endObject().toString();
        Map<String, Object> m = JsonText.object(text);
        assertEquals(1.0, m.get("a"));
        assertEquals("x\"y\\z\n\u0001<script>", m.get("b"));
        assertEquals(true, m.get("c"));
        assertEquals(List.of(1.0, 2.0, 3.0), m.get("d"));
        assertEquals(1.5, m.get("e"));
        assertEquals(null, m.get("nan"));
        assertEquals(List.of(Map.of(), List.of()).size(), ((List<?>) m.get("f")).size());
        assertEquals(Map.of(), m.get("h"));
        assertFalse(text.contains("<"), "no '<' in the text: it cannot close a script element");
    }
}
