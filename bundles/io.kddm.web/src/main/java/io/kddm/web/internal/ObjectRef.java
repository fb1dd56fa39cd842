package io.kddm.web.internal;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.SetIds;

/** An object the page asks about: set id and object id. */
record ObjectRef(long setId, long objectId) {

    ObjectRef {
        if (objectId < 0 || objectId > KddmSet.MAX_OBJECT_ID) {
            throw new IllegalArgumentException("EINVAL: object id " + objectId + " is not in 0.." + KddmSet.MAX_OBJECT_ID);
        }
    }

    /** From the page's form: a set id ({@code NODE:NUMBER}) and an object id; EINVAL otherwise. */
    static ObjectRef parse(String set, String object) {
        if (set == null || set.isBlank() || object == null || object.isBlank()) {
            throw new IllegalArgumentException("EINVAL: a set id (NODE:NUMBER) and an object id are needed");
        }
        long setId;
        try {
            setId = SetIds.parse(set.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("EINVAL: " + e.getMessage());
        }
        long objectId;
        try {
            objectId = Long.parseLong(object.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("EINVAL: '" + object.trim() + "' is not an object id (0.."
                    + KddmSet.MAX_OBJECT_ID + ")");
        }
        return new ObjectRef(setId, objectId);
    }

    @Override
    public String toString() {
        return SetIds.format(setId) + "/" + objectId;
    }
}
