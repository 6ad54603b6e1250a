from foleygan_tf.cli import main

raise SystemExit(main())
