"""The paper's human study (§VI-G, Table IV) as a listening-test kit: ``foleygan survey``.

A study is one folder::

    STUDY/manifest.json      the study: texts shown to participants (editable), clips, conditions
    STUDY/media/<id>.mp4     what the page plays, one file per condition (H.264 + AAC), opaque ids
    STUDY/responses.sqlite   the answers (SQLite, WAL)
    STUDY/build/             the build's resumable state: plan, silent H.264 masters, raw tracks

Modules, one concept each:

* :mod:`.manifest` — the manifest: default texts, validation, the items a participant rates;
* :mod:`.loudness` — ITU-R BS.1770 integrated loudness and the one level of a clip's conditions;
* :mod:`.media` — browser-playable H.264 masters, recorded tracks, condition files (PyAV);
* :mod:`.build` — ``survey build``: generate, normalise and mux every condition (resumable);
* :mod:`.store` — ``responses.sqlite``: participants, plays and answers;
* :mod:`.page` — the participant's single web page (HTML + JavaScript);
* :mod:`.server` — ``survey serve``: the Flask app and its HTTP server;
* :mod:`.stats` — Table IV numbers: means, bootstrap intervals over participants, flags;
* :mod:`.report` — ``survey report``: Markdown, CSV, plot and the raw answers.

Nothing here imports TensorFlow except :mod:`.build` (inside the function that generates).
"""
