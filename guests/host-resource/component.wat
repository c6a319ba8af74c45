;; host-resource: a hostile guest holding resources of the app's own host imports, written by hand.
;; It imports `sfirt:host-resource/things` (resource `thing`: constructor `thing(v)`, method
;; `value`) and exports `make(v)`, which constructs a thing and keeps it (never drops the handle)
;; and returns the handle number, and `peek(h)`, which calls `value` on handle number `h`, any
;; number (the glue does not check borrows: a number it does not know reaches the host as a bare
;; object of the class). For the cross-caller tests: a caller's `peek` of an earlier caller's
;; number must reach nothing of that caller's thing.
(component
  (import "sfirt:host-resource/things" (instance $things
    (export "thing" (type $thing (sub resource)))
    (export "[constructor]thing" (func (param "v" u32) (result (own $thing))))
    (export "[method]thing.value" (func (param "self" (borrow $thing)) (result u32)))))
  (alias export $things "[constructor]thing" (func $ctor))
  (alias export $things "[method]thing.value" (func $value))
  (core func $ctor-lower (canon lower (func $ctor)))
  (core func $value-lower (canon lower (func $value)))
  (core module $main
    (import "h" "ctor" (func $ctor (param i32) (result i32)))
    (import "h" "value" (func $value (param i32) (result i32)))
    (func (export "make") (param i32) (result i32)
      local.get 0
      call $ctor)
    (func (export "peek") (param i32) (result i32)
      local.get 0
      call $value))
  (core instance $main (instantiate $main
    (with "h" (instance (export "ctor" (func $ctor-lower)) (export "value" (func $value-lower))))))
  (func (export "make") (param "v" u32) (result u32) (canon lift (core func $main "make")))
  (func (export "peek") (param "h" u32) (result u32) (canon lift (core func $main "peek"))))
