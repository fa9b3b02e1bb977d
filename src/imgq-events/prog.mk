imgq-events_LIBS := q job http base
