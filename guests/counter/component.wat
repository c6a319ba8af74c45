;; counter: a resource the component defines and exports, written by hand. Interface
;; `sfirt:counter/counters` exports resource `counter` (constructor, methods `add` and `get`, static
;; `merge` taking one counter by `own` and one by `borrow`, method `fail` that traps) and `live()`, the
;; number of counters whose destructor has not run. A counter's rep is its slot in linear memory (value at rep * 4).
;; As wit-component does, the destructor reaches the main module through a shim table that a fixup
;; module fills once the main module exists. For resource tests and the resource-call benchmark.
(component
  (core module $main
    (import "r" "new" (func $new (param i32) (result i32)))
    (import "r" "rep" (func $rep (param i32) (result i32)))
    (import "r" "drop" (func $drop (param i32)))
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1))
    (global $live (mut i32) (i32.const 0))
    (func $make (param $v i32) (result i32) (local $r i32)
      global.get $next
      local.tee $r
      i32.const 1
      i32.add
      global.set $next
      global.get $live
      i32.const 1
      i32.add
      global.set $live
      local.get $r
      i32.const 4
      i32.mul
      local.get $v
      i32.store
      local.get $r
      call $new)
    (func (export "ctor") (param $start i32) (result i32)
      local.get $start
      call $make)
    (func (export "add") (param $rep i32) (param $n i32) (result i32)
      local.get $rep
      i32.const 4
      i32.mul
      local.get $rep
      i32.const 4
      i32.mul
      i32.load
      local.get $n
      i32.add
      i32.store
      local.get $rep
      i32.const 4
      i32.mul
      i32.load)
    (func (export "get") (param $rep i32) (result i32)
      local.get $rep
      i32.const 4
      i32.mul
      i32.load)
    ;; merge(a: own<counter>, b: borrow<counter>) -> own<counter>: a is consumed (dropped here).
    (func (export "merge") (param $a i32) (param $b i32) (result i32) (local $sum i32)
      local.get $a
      call $rep
      i32.const 4
      i32.mul
      i32.load
      local.get $b
      i32.const 4
      i32.mul
      i32.load
      i32.add
      local.set $sum
      local.get $a
      call $drop
      local.get $sum
      call $make)
    (func (export "fail") (param $rep i32)
      unreachable)
    (func (export "live") (result i32)
      global.get $live)
    (func (export "dtor") (param $rep i32)
      global.get $live
      i32.const 1
      i32.sub
      global.set $live))
  (core module $shim
    (type $dtor (func (param i32)))
    (table (export "t") 1 funcref)
    (func (export "dtor") (param i32)
      local.get 0
      i32.const 0
      call_indirect (type $dtor)))
  (core module $fixup
    (import "" "t" (table 1 funcref))
    (import "" "dtor" (func $dtor (param i32)))
    (elem (i32.const 0) func $dtor))
  (core instance $shim (instantiate $shim))
  (alias core export $shim "dtor" (core func $dtor-shim))
  (alias core export $shim "t" (core table $table))
  (type $counter (resource (rep i32) (dtor (core func $dtor-shim))))
  (core func $new (canon resource.new $counter))
  (core func $rep (canon resource.rep $counter))
  (core func $drop (canon resource.drop $counter))
  (core instance $main (instantiate $main
    (with "r" (instance (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))))))
  (core instance (instantiate $fixup
    (with "" (instance (export "t" (table $table)) (export "dtor" (func $main "dtor"))))))
  (type $own (own $counter))
  (type $borrow (borrow $counter))
  (func $ctor (param "start" u32) (result $own) (canon lift (core func $main "ctor")))
  (func $add (param "self" $borrow) (param "n" u32) (result u32) (canon lift (core func $main "add")))
  (func $get (param "self" $borrow) (result u32) (canon lift (core func $main "get")))
  (func $merge (param "a" $own) (param "b" $borrow) (result $own) (canon lift (core func $main "merge")))
  (func $fail (param "self" $borrow) (canon lift (core func $main "fail")))
  (func $live (result u32) (canon lift (core func $main "live")))
  ;; Exported types must be named by the export: a shim component imports the type and re-exports it.
  (component $counters
    (import "import-type-counter" (type $t (sub resource)))
    (type $o (own $t))
    (type $b (borrow $t))
    (import "import-ctor" (func $ctor (param "start" u32) (result $o)))
    (import "import-add" (func $add (param "self" $b) (param "n" u32) (result u32)))
    (import "import-get" (func $get (param "self" $b) (result u32)))
    (import "import-merge" (func $merge (param "a" $o) (param "b" $b) (result $o)))
    (import "import-fail" (func $fail (param "self" $b)))
    (import "import-live" (func $live (result u32)))
    (export $counter "counter" (type $t))
    (type $o2 (own $counter))
    (type $b2 (borrow $counter))
    (export "[constructor]counter" (func $ctor) (func (param "start" u32) (result $o2)))
    (export "[method]counter.add" (func $add) (func (param "self" $b2) (param "n" u32) (result u32)))
    (export "[method]counter.get" (func $get) (func (param "self" $b2) (result u32)))
    (export "[static]counter.merge" (func $merge) (func (param "a" $o2) (param "b" $b2) (result $o2)))
    (export "[method]counter.fail" (func $fail) (func (param "self" $b2)))
    (export "live" (func $live) (func (result u32))))
  (instance $counters (instantiate $counters
    (with "import-type-counter" (type $counter))
    (with "import-ctor" (func $ctor))
    (with "import-add" (func $add))
    (with "import-get" (func $get))
    (with "import-merge" (func $merge))
    (with "import-fail" (func $fail))
    (with "import-live" (func $live))))
  (export "sfirt:counter/counters" (instance $counters)))
