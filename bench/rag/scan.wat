(module
  (memory (export "memory") 1 65536)
  ;; out[r] = dot(data[r], query) * norms[r] for r in [0, rows); dims must be a multiple of 8.
  (func (export "scan") (param $data i32) (param $query i32) (param $norms i32) (param $out i32) (param $rows i32) (param $dims i32)
    (local $r i32) (local $a v128) (local $b v128) (local $rowBytes i32) (local $p i32) (local $end i32) (local $q i32)
    (local.set $rowBytes (i32.shl (local.get $dims) (i32.const 2)))
    (local.set $p (local.get $data))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $b (v128.const f32x4 0 0 0 0))
        (local.set $end (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $q (local.get $query))
        (block $dotDone
          (loop $dot
            (br_if $dotDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $a (f32x4.add (local.get $a) (f32x4.mul (v128.load (local.get $p)) (v128.load (local.get $q)))))
            (local.set $b (f32x4.add (local.get $b) (f32x4.mul (v128.load offset=16 (local.get $p)) (v128.load offset=16 (local.get $q)))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (br $dot)))
        (local.set $a (f32x4.add (local.get $a) (local.get $b)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
          (f32.mul
            (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
                     (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a))))
            (f32.load (i32.add (local.get $norms) (i32.shl (local.get $r) (i32.const 2))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
