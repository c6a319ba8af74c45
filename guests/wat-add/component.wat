;; wat-add: the smallest useful component, written by hand. One core module with one function
;; and no memory, lifted as `add: func(a: u32, b: u32) -> u32`. For instantiation benchmarks.
(component
  (core module $adder
    (func (export "add") (param i32 i32) (result i32)
      local.get 0
      local.get 1
      i32.add))
  (core instance $instance (instantiate $adder))
  (func $add (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $instance "add")))
  (export "add" (func $add)))
